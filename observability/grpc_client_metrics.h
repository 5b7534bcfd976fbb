// Client-side gRPC metrics: an interceptor that records every call a channel makes (method,
// status code, latency, message bytes) into RpcMetrics (keel_grpc_client_*), labelled with
// the channel's `target` so calls to each peer are told apart (Kafka's per-node
// request-latency-avg / -max: average = duration_sum / duration_count, max and p99 from the
// histogram).
//
// Usage:
//   GrpcClientMetrics client_metrics(*registry);  // one per process, outlives its channels
//   std::shared_ptr<grpc::Channel> channel = client_metrics.CreateChannel(
//       "127.0.0.1:19091", grpc::InsecureChannelCredentials(), grpc::ChannelArguments());
//   or, to combine with other interceptors:
//   interceptors.push_back(client_metrics.NewInterceptorFactory("127.0.0.1:19091"));
//
// Latency runs from the start of the call to the received status, so it includes waiting
// for a connection. Bytes are serialized protobuf message sizes (no framing, compression).
// Calls made through grpc::GenericStub carry ByteBuffers: name their methods with
// rpc().SetRawMethods(...) before the first call (the health service's are known).
//
// Thread safety: thread-safe; must outlive every channel it instruments.
#ifndef KEEL_OBSERVABILITY_GRPC_CLIENT_METRICS_H_
#define KEEL_OBSERVABILITY_GRPC_CLIENT_METRICS_H_

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_interceptor.h>

#include "observability/metrics_registry.h"
#include "observability/rpc_metrics.h"

namespace keel::observability {

class GrpcClientMetrics {
 public:
  explicit GrpcClientMetrics(MetricsRegistry& registry)
      : rpc_(registry, RpcMetrics::Side::kClient) {}

  // An interceptor factory for a channel to `target` (the label value; usually the address).
  std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> NewInterceptorFactory(
      const std::string& target);

  // grpc::CreateCustomChannel with this interceptor installed, labelled with `target`.
  std::shared_ptr<grpc::Channel> CreateChannel(
      const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
      const grpc::ChannelArguments& args);

  RpcMetrics& rpc() { return rpc_; }

 private:
  RpcMetrics rpc_;
};

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_GRPC_CLIENT_METRICS_H_
