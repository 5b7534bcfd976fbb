// MetricsServer: serves GET /metrics (Prometheus text format) over HTTP.
//
// Built on prometheus-cpp's Exposer (civetweb underneath, from Debian's prometheus-cpp-dev).
// Every scrape runs the registry's scrape hooks and serializes all of its families; the
// server keeps the registry alive while it runs.
//
// Thread safety: Start and the accessors may be called from any thread; destruction stops
// the HTTP threads (a scrape in progress finishes first).
#ifndef KEEL_OBSERVABILITY_METRICS_SERVER_H_
#define KEEL_OBSERVABILITY_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "observability/metrics_registry.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace keel::observability {

class MetricsServer {
 public:
  // Listens on `address` ("IP:PORT", e.g. "127.0.0.1:9100"; port 0 picks a free port, see
  // port()). InvalidArgument for a malformed address, Unavailable when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<MetricsRegistry> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound port (the real one when started with port 0).
  int port() const { return port_; }

 private:
  MetricsServer() = default;

  std::shared_ptr<MetricsRegistry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_METRICS_SERVER_H_
