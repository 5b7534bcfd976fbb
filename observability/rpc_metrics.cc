#include "observability/rpc_metrics.h"

#include <utility>

#include <google/protobuf/message_lite.h>
#include <grpcpp/support/byte_buffer.h>

#include "absl/strings/str_cat.h"

namespace keel::observability {
namespace {

std::string Prefix(RpcMetrics::Side side) {
  return side == RpcMetrics::Side::kServer ? "keel_grpc_server_" : "keel_grpc_client_";
}

std::string Whose(RpcMetrics::Side side) {
  return side == RpcMetrics::Side::kServer ? "served by this process" : "made by this process";
}

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[index];
}

RpcMetrics::RpcMetrics(MetricsRegistry& registry, Side side)
    : side_(side),
      requests_(
          registry.Counter(Prefix(side) + "requests_total", "gRPC calls " + Whose(side) +
                                                                " that finished, by method and "
                                                                "status code.")),
      duration_(registry.Histogram(
          Prefix(side) + "request_duration_seconds",
          "Latency of gRPC calls " + Whose(side) + ", from the start of the call to its status.")),
      received_bytes_(registry.Counter(Prefix(side) + "received_bytes_total",
                                       "Serialized protobuf message bytes received in gRPC "
                                       "calls " +
                                           Whose(side) + ".")),
      sent_bytes_(registry.Counter(
          Prefix(side) + "sent_bytes_total",
          "Serialized protobuf message bytes sent in gRPC calls " + Whose(side) + ".")),
      raw_methods_{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"} {}

void RpcMetrics::SetRawMethods(std::vector<std::string> methods) {
  raw_methods_ = std::move(methods);
}

bool RpcMetrics::IsRawMethod(absl::string_view method) const {
  for (const std::string& raw : raw_methods_) {
    if (raw == method) return true;
  }
  return false;
}

RpcMetrics::Method::Method(RpcMetrics* owner, prometheus::Labels labels, bool raw)
    : owner_(owner),
      raw_(raw),
      labels_(std::move(labels)),
      duration_(owner->duration_.Add(labels_, DurationBucketsSeconds())),
      received_bytes_(owner->received_bytes_.Add(labels_)),
      sent_bytes_(owner->sent_bytes_.Add(labels_)) {}

void RpcMetrics::Method::AddReceivedMessage(const void* message) {
  if (message == nullptr) return;
  // Every generated message derives from MessageLite at offset 0.
  const size_t bytes =
      raw_ ? static_cast<const grpc::ByteBuffer*>(message)->Length()
           : static_cast<const google::protobuf::MessageLite*>(message)->ByteSizeLong();
  received_bytes_.Increment(static_cast<double>(bytes));
}

void RpcMetrics::Method::RecordCall(grpc::StatusCode code, double duration_seconds) {
  duration_.Observe(duration_seconds);
  int index = static_cast<int>(code);
  if (index < 0 || index >= kCodes) index = static_cast<int>(grpc::StatusCode::UNKNOWN);
  prometheus::Counter* counter = requests_by_code_[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same series for the same labels, so a race here is harmless.
    prometheus::Labels labels = labels_;
    labels["code"] = StatusCodeName(static_cast<grpc::StatusCode>(index));
    counter = &owner_->requests_.Add(labels);
    requests_by_code_[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

RpcMetrics::Method* RpcMetrics::ForMethod(absl::string_view method, absl::string_view target) {
  if (side_ == Side::kServer) target = "";
  std::string key = absl::StrCat(method, absl::string_view("\0", 1), target);
  {
    absl::ReaderMutexLock lock(&mu_);
    auto it = methods_.find(key);
    if (it != methods_.end()) return it->second.get();
  }
  absl::MutexLock lock(&mu_);
  auto& slot = methods_[key];
  if (slot == nullptr) {
    prometheus::Labels labels{{"method", std::string(method)}};
    if (side_ == Side::kClient) labels["target"] = std::string(target);
    slot.reset(new Method(this, std::move(labels), IsRawMethod(method)));
  }
  return slot.get();
}

}  // namespace keel::observability
