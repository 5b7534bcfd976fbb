// Server-side gRPC metrics: an interceptor that records every call's method, status code,
// latency and message bytes into RpcMetrics (keel_grpc_server_*).
//
// Usage (the interceptor list replaces any set before, so add other interceptors to the same
// vector):
//   auto registry = MetricsRegistry::Create();
//   GrpcServerMetrics server_metrics(*registry);
//   grpc::ServerBuilder builder;
//   std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> v;
//   v.push_back(server_metrics.NewInterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(v));
//
// Latency runs from the interceptor's creation (when gRPC starts dispatching the call) to
// the moment the status is sent. Bytes are protobuf ByteSizeLong of each message received
// and the serialized size of each message sent, so they exclude gRPC framing and
// compression. Every Keel service uses protobuf messages; gRPC's default health service is a
// raw (ByteBuffer) handler and is known. Name any other raw or generic method with
// rpc().SetRawMethods(...) before the server starts (see rpc_metrics.h).
//
// Thread safety: GrpcServerMetrics is thread-safe and must outlive the server.
#ifndef KEEL_OBSERVABILITY_GRPC_SERVER_METRICS_H_
#define KEEL_OBSERVABILITY_GRPC_SERVER_METRICS_H_

#include <memory>

#include <grpcpp/support/server_interceptor.h>

#include "observability/metrics_registry.h"
#include "observability/rpc_metrics.h"

namespace keel::observability {

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(MetricsRegistry& registry)
      : rpc_(registry, RpcMetrics::Side::kServer) {}

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  RpcMetrics& rpc() { return rpc_; }

 private:
  RpcMetrics rpc_;
};

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_GRPC_SERVER_METRICS_H_
