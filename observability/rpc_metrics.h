// RpcMetrics: per-method gRPC metrics from one side of the call (server or client).
//
// Families, with <side> = server or client (docs/observability.md):
//   keel_grpc_<side>_requests_total{method, code[, target]}      calls finished, by status
//   keel_grpc_<side>_request_duration_seconds{method[, target]}  latency histogram
//   keel_grpc_<side>_received_bytes_total{method[, target]}      protobuf message bytes in
//   keel_grpc_<side>_sent_bytes_total{method[, target]}          protobuf message bytes out
// `method` is gRPC's full name ("/keel.controller.AdminService/CreateTopics"), `code` the
// status code name ("OK", "UNAVAILABLE"), `target` (client side) who was called. The average
// latency is duration_sum / duration_count; p99 is histogram_quantile(0.99, ...).
//
// ForMethod looks the series up once per call under a reader lock; recording afterwards is
// lock-free (atomics), except the histogram observation, which takes prometheus-cpp's
// per-series mutex. Series for a status code are created on first use.
//
// Message bytes: interceptors see a received message only in deserialized form, as a
// `void*`. For every method it is a protobuf message (sized with ByteSizeLong) except for the
// raw methods (SetRawMethods), where it is a grpc::ByteBuffer (sized with Length). A raw
// method missing from that list would be misread, so list every generic/raw method.
//
// Thread safety: all methods are thread-safe except SetRawMethods, which must be called
// before the first call is intercepted; Method pointers live as long as the RpcMetrics.
#ifndef KEEL_OBSERVABILITY_RPC_METRICS_H_
#define KEEL_OBSERVABILITY_RPC_METRICS_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/support/status.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "observability/metrics_registry.h"

namespace keel::observability {

class RpcMetrics {
 public:
  enum class Side { kServer, kClient };

  // The series of one (method, target) pair.
  class Method {
   public:
    // A received message as interceptors see it (GetRecvMessage; nullptr: none).
    void AddReceivedMessage(const void* message);
    void AddSentBytes(size_t bytes) { sent_bytes_.Increment(static_cast<double>(bytes)); }
    // One finished call: its status and how long it took.
    void RecordCall(grpc::StatusCode code, double duration_seconds);

   private:
    friend class RpcMetrics;
    Method(RpcMetrics* owner, prometheus::Labels labels, bool raw);

    static constexpr int kCodes = 17;  // grpc::StatusCode 0 (OK) .. 16 (UNAUTHENTICATED)
    RpcMetrics* const owner_;
    const bool raw_;  // messages are grpc::ByteBuffer
    const prometheus::Labels labels_;
    prometheus::Histogram& duration_;
    prometheus::Counter& received_bytes_;
    prometheus::Counter& sent_bytes_;
    std::array<std::atomic<prometheus::Counter*>, kCodes> requests_by_code_{};
  };

  RpcMetrics(MetricsRegistry& registry, Side side);
  RpcMetrics(const RpcMetrics&) = delete;
  RpcMetrics& operator=(const RpcMetrics&) = delete;

  // The series for `method` (and, on the client side, `target`; ignored on the server).
  Method* ForMethod(absl::string_view method, absl::string_view target = "");

  // Methods whose messages reach interceptors as grpc::ByteBuffer rather than as protobuf
  // messages (raw handlers, generic stubs). By default gRPC's own health service, whose
  // default implementation is a raw handler.
  void SetRawMethods(std::vector<std::string> methods);
  bool IsRawMethod(absl::string_view method) const;

 private:
  const Side side_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& received_bytes_;
  prometheus::Family<prometheus::Counter>& sent_bytes_;

  std::vector<std::string> raw_methods_;  // set before any call; read-only afterwards

  absl::Mutex mu_;
  // key: method + '\0' + target
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_ ABSL_GUARDED_BY(mu_);
};

// "OK", "CANCELLED", ... as in the gRPC spec; "UNKNOWN" for anything out of range.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_RPC_METRICS_H_
