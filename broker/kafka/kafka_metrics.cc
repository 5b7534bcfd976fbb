#include "broker/kafka/kafka_metrics.h"

#include "proto/common.pb.h"

namespace keel::broker::kafka {

std::string KafkaErrorName(int16_t code) {
  if (keel::ErrorCode_IsValid(code)) return keel::ErrorCode_Name(static_cast<keel::ErrorCode>(code));
  return std::to_string(code);
}

// The help texts are the gRPC server families' own (rpc_metrics.cc): the registry hands out
// the existing family only for the same name and help.
KafkaMetrics::KafkaMetrics(observability::MetricsRegistry& registry)
    : requests_(registry.Counter(
          "keel_grpc_server_requests_total",
          "gRPC calls served by this process that finished, by method and status code.")),
      duration_(registry.Histogram("keel_grpc_server_request_duration_seconds",
                                   "Latency of gRPC calls served by this process, from the "
                                   "start of the call to its status.")),
      received_(registry.Counter(
          "keel_grpc_server_received_bytes_total",
          "Serialized protobuf message bytes received in gRPC calls served by this process.")),
      sent_(registry.Counter(
          "keel_grpc_server_sent_bytes_total",
          "Serialized protobuf message bytes sent in gRPC calls served by this process.")),
      connections_(registry
                       .Gauge("keel_kafka_open_connections",
                              "Client connections open on the Kafka listener.")
                       .Add({})) {}

void KafkaMetrics::RecordRequest(std::string_view api, int16_t error_code,
                                 double duration_seconds, size_t received_bytes,
                                 size_t sent_bytes) {
  prometheus::Counter* requests;
  ApiSeries* series;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = apis_.find(api);
    if (it == apis_.end()) {
      const prometheus::Labels labels{{"listener", "kafka"}, {"api", std::string(api)}};
      it = apis_
               .emplace(std::string(api),
                        ApiSeries{&duration_.Add(labels, observability::DurationBucketsSeconds()),
                                  &received_.Add(labels), &sent_.Add(labels), {}})
               .first;
    }
    series = &it->second;
    auto& slot = series->by_code[error_code];
    if (slot == nullptr) {
      slot = &requests_.Add(
          {{"listener", "kafka"}, {"api", std::string(api)}, {"code", KafkaErrorName(error_code)}});
    }
    requests = slot;
  }
  requests->Increment();
  series->duration->Observe(duration_seconds);
  series->received->Increment(static_cast<double>(received_bytes));
  series->sent->Increment(static_cast<double>(sent_bytes));
}

}  // namespace keel::broker::kafka
