// The server and client interceptors on a real in-process gRPC server (loopback, ephemeral
// port), checked through the registry's text exposition.
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "observability/grpc_client_metrics.h"
#include "observability/grpc_server_metrics.h"
#include "proto/raft.grpc.pb.h"

namespace keel::observability {
namespace {

// Answers OK unless the batch is empty.
class FakeRaftService final : public raft::RaftService::Service {
  grpc::Status Send(grpc::ServerContext*, const raft::MessageBatch* batch,
                    raft::SendResponse*) override {
    if (batch->messages_size() == 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty");
    }
    return grpc::Status::OK;
  }
};

// The value of the series whose line starts with `series` (name and labels, exact; labels
// are serialized in name order).
double Value(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  size_t start = at + series.size() + 2;
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

TEST(RpcMetricsTest, ServerAndClientCountCallsCodesLatencyAndBytes) {
  auto registry = MetricsRegistry::Create();
  GrpcServerMetrics server_metrics(*registry);
  GrpcClientMetrics client_metrics(*registry);

  FakeRaftService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(server_metrics.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  const std::string target = "127.0.0.1:" + std::to_string(port);
  auto stub = raft::RaftService::NewStub(client_metrics.CreateChannel(
      target, grpc::InsecureChannelCredentials(), grpc::ChannelArguments()));
  raft::MessageBatch batch;
  batch.add_messages()->set_term(7);
  const double request_bytes = static_cast<double>(batch.ByteSizeLong());
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    raft::SendResponse response;
    ASSERT_TRUE(stub->Send(&context, batch, &response).ok());
  }
  {
    grpc::ClientContext context;
    raft::SendResponse response;
    EXPECT_EQ(stub->Send(&context, raft::MessageBatch(), &response).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }

  const std::string text = registry->ScrapeText();
  const std::string method = "method=\"/keel.raft.RaftService/Send\"";
  EXPECT_EQ(Value(text, "keel_grpc_server_requests_total{code=\"OK\"," + method + "}"), 3) << text;
  EXPECT_EQ(
      Value(text, "keel_grpc_server_requests_total{code=\"INVALID_ARGUMENT\"," + method + "}"), 1);
  EXPECT_EQ(Value(text, "keel_grpc_server_request_duration_seconds_count{" + method + "}"), 4);
  EXPECT_EQ(Value(text, "keel_grpc_server_received_bytes_total{" + method + "}"),
            3 * request_bytes);
  const std::string client_labels = method + ",target=\"" + target + "\"";
  EXPECT_EQ(Value(text, "keel_grpc_client_requests_total{code=\"OK\"," + client_labels + "}"), 3);
  EXPECT_EQ(Value(text, "keel_grpc_client_request_duration_seconds_count{" + client_labels + "}"),
            4);
  EXPECT_EQ(Value(text, "keel_grpc_client_sent_bytes_total{" + client_labels + "}"),
            3 * request_bytes);
  EXPECT_GT(Value(text, "keel_grpc_client_request_duration_seconds_sum{" + client_labels + "}"), 0);
  server->Shutdown();
}

// gRPC's default health service is a raw (ByteBuffer) handler and a generic stub sends and
// receives ByteBuffers: both sides must size them as such.
TEST(RpcMetricsTest, RawHealthCallsThroughAGenericStubAreSized) {
  auto registry = MetricsRegistry::Create();
  GrpcServerMetrics server_metrics(*registry);
  GrpcClientMetrics client_metrics(*registry);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  FakeRaftService service;
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(server_metrics.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(factories));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  grpc::EnableDefaultHealthCheckService(false);

  const std::string target = "127.0.0.1:" + std::to_string(port);
  grpc::GenericStub stub(client_metrics.CreateChannel(target, grpc::InsecureChannelCredentials(),
                                                      grpc::ChannelArguments()));
  // HealthCheckRequest{service: "raft"} is 0x0a 0x04 'raft'.
  const std::string request_bytes("\x0a\x04raft", 6);
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1);
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::ByteBuffer response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                   &response, [&](grpc::Status s) { done.set_value(s); });
    // The service is unknown to health: NOT_FOUND, with no response message.
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  const std::string text = registry->ScrapeText();
  const std::string method = "method=\"/grpc.health.v1.Health/Check\"";
  EXPECT_EQ(Value(text, "keel_grpc_server_requests_total{code=\"NOT_FOUND\"," + method + "}"), 2)
      << text;
  EXPECT_EQ(Value(text, "keel_grpc_server_received_bytes_total{" + method + "}"), 12);
  const std::string client_labels = method + ",target=\"" + target + "\"";
  EXPECT_EQ(Value(text, "keel_grpc_client_sent_bytes_total{" + client_labels + "}"), 12);
  server->Shutdown();
}

TEST(RpcMetricsTest, StatusCodeNames) {
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_STREQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_STREQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "UNKNOWN");
}

}  // namespace
}  // namespace keel::observability
