// RestProxy: Confluent REST Proxy's v2 and v3 APIs (produce, consume, administer over
// HTTP/JSON; binary keys and values as base64) served inside keel-broker on --rest_listen
// (docs/rest.md). It is a client of the cluster like any other program: everything goes
// through client/ (AdminClient, MetadataCache, Producer, Consumer, GroupClient), nothing
// through broker internals, so the broker only constructs, starts and stops it.
//
// HTTP: Debian's cpp-httplib with keep-alive, a bounded pool of worker threads (a connection
// holds a worker while it is open, so the pool bounds concurrent connections too), and a
// request-body limit answered with 413.
//
// Thread-safe. Stop() (or the destructor) stops the server, then closes every consumer
// instance (leaving their groups) and the producer.
#ifndef KEEL_BROKER_REST_REST_PROXY_H_
#define KEEL_BROKER_REST_REST_PROXY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "observability/metrics_registry.h"

namespace keel::rest {

struct RestProxyOptions {
  std::string listen = "127.0.0.1:0";    // host:port the HTTP server binds (port 0: any)
  std::vector<std::string> controllers;  // bootstrap controllers (host:port)
  std::vector<std::string> brokers;      // gRPC addresses for the group coordinator lookup
  std::string cluster_id;
  int32_t broker_id = -1;                // this broker, named in v3 answers
  int worker_threads = 16;
  int64_t max_request_bytes = 16 << 20;  // larger bodies get 413
  int keep_alive_max_count = 1000;       // requests per connection before it is closed
  int keep_alive_timeout_s = 5;          // idle time before an open connection is closed
  int64_t consumer_instance_timeout_ms = 300000;  // consumer.instance.timeout.ms
  int64_t produce_timeout_ms = 30000;    // the producer's delivery.timeout.ms
  int64_t admin_timeout_ms = 15000;      // metadata and admin calls to the controllers
  int max_consumer_instances = 1000;
  // Injected monotonic clock for consumer instance expiry (tests); null: steady_clock.
  std::function<std::chrono::steady_clock::time_point()> clock;
};

class RestProxy {
 public:
  // Binds, starts the workers and returns; the proxy serves until Stop().
  static absl::StatusOr<std::unique_ptr<RestProxy>> Start(
      RestProxyOptions options, std::shared_ptr<observability::MetricsRegistry> metrics);
  ~RestProxy();

  int port() const;
  void Stop();  // idempotent

  class Impl;

 private:
  explicit RestProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_REST_PROXY_H_
