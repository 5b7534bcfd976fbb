// KafkaMetrics: the Kafka listener's series, in the gRPC server's families
// (observability/rpc_metrics.h) so one dashboard shows both front ends:
//   keel_grpc_server_requests_total{listener="kafka", api, code}     requests answered;
//       code is "NONE" or the first Kafka error the response carries ("NOT_LEADER_OR_FOLLOWER",
//       or the number when Keel has no name for it): the error counts
//   keel_grpc_server_request_duration_seconds{listener="kafka", api}  latency histogram
//   keel_grpc_server_received_bytes_total{listener="kafka", api}      request frame bytes
//   keel_grpc_server_sent_bytes_total{listener="kafka", api}          response frame bytes
//   keel_kafka_open_connections                                      open client connections
// The request rate is rate(requests_total[1m]).
//
// Thread safety: all methods are thread-safe; series are created once per (api, code) and
// cached (a lookup under a mutex, then atomics).
#ifndef KEEL_BROKER_KAFKA_KAFKA_METRICS_H_
#define KEEL_BROKER_KAFKA_KAFKA_METRICS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "observability/metrics_registry.h"

namespace keel::broker::kafka {

class KafkaMetrics {
 public:
  explicit KafkaMetrics(observability::MetricsRegistry& registry);

  void RecordRequest(std::string_view api, int16_t error_code, double duration_seconds,
                     size_t received_bytes, size_t sent_bytes);
  void ConnectionsChanged(int delta) { connections_.Increment(delta); }

 private:
  struct ApiSeries {
    prometheus::Histogram* duration;
    prometheus::Counter* received;
    prometheus::Counter* sent;
    std::map<int16_t, prometheus::Counter*> by_code;
  };

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& received_;
  prometheus::Family<prometheus::Counter>& sent_;
  prometheus::Gauge& connections_;

  std::mutex mu_;
  std::map<std::string, ApiSeries, std::less<>> apis_;  // guarded by mu_
};

// "NONE", "NOT_LEADER_OR_FOLLOWER", ... for the codes proto/common.proto names; the number
// otherwise.
std::string KafkaErrorName(int16_t code);

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_KAFKA_METRICS_H_
