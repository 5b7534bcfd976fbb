#include "observability/grpc_client_metrics.h"

#include <chrono>
#include <utility>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/interceptor.h>

namespace keel::observability {
namespace {

using grpc::experimental::InterceptionHookPoints;

class ClientMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ClientMetricsInterceptor(RpcMetrics::Method* method)
      : method_(method), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      if (const grpc::ByteBuffer* buffer = methods->GetSerializedSendMessage(); buffer != nullptr) {
        method_->AddSentBytes(buffer->Length());
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // nullptr when no message arrived (the call failed or the stream ended).
      method_->AddReceivedMessage(methods->GetRecvMessage());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_STATUS)) {
      std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      const grpc::Status* status = methods->GetRecvStatus();
      method_->RecordCall(status != nullptr ? status->error_code() : grpc::StatusCode::UNKNOWN,
                          elapsed.count());
    }
    methods->Proceed();
  }

 private:
  RpcMetrics::Method* const method_;
  const std::chrono::steady_clock::time_point start_;
};

class ClientMetricsFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  ClientMetricsFactory(RpcMetrics* rpc, std::string target)
      : rpc_(rpc), target_(std::move(target)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* info) override {
    return new ClientMetricsInterceptor(rpc_->ForMethod(info->method(), target_));
  }

 private:
  RpcMetrics* const rpc_;
  const std::string target_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>
GrpcClientMetrics::NewInterceptorFactory(const std::string& target) {
  return std::make_unique<ClientMetricsFactory>(&rpc_, target);
}

std::shared_ptr<grpc::Channel> GrpcClientMetrics::CreateChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(NewInterceptorFactory(target));
  return grpc::experimental::CreateCustomChannelWithInterceptors(target, credentials, args,
                                                                 std::move(factories));
}

}  // namespace keel::observability
