#include "observability/grpc_server_metrics.h"

#include <chrono>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/interceptor.h>

namespace keel::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ServerMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ServerMetricsInterceptor(RpcMetrics::Method* method)
      : method_(method), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // The deserialized request (nullptr when the stream ended or parsing failed).
      method_->AddReceivedMessage(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      // Serializes now rather than later; the bytes are the ones that go out.
      if (const grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage(); buffer != nullptr) {
        method_->AddSentBytes(buffer->Length());
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      method_->RecordCall(methods->GetSendStatus().error_code(), elapsed.count());
    }
    methods->Proceed();
  }

 private:
  RpcMetrics::Method* const method_;
  const std::chrono::steady_clock::time_point start_;
};

class ServerMetricsFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ServerMetricsFactory(RpcMetrics* rpc) : rpc_(rpc) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ServerMetricsInterceptor(rpc_->ForMethod(info->method()));
  }

 private:
  RpcMetrics* const rpc_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::NewInterceptorFactory() {
  return std::make_unique<ServerMetricsFactory>(&rpc_);
}

}  // namespace keel::observability
