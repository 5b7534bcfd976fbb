// gRPC from Debian: a RaftService server on an ephemeral 127.0.0.1 port answers a real call.
#include <atomic>
#include <chrono>
#include <memory>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "proto/raft.grpc.pb.h"

namespace keel {
namespace {

class CountingRaftService final : public raft::RaftService::Service {
 public:
  grpc::Status Send(grpc::ServerContext*, const raft::MessageBatch* batch,
                    raft::SendResponse*) override {
    received_ += batch->messages_size();
    if (batch->messages_size() == 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "empty batch");
    }
    return grpc::Status::OK;
  }
  std::atomic<int> received_{0};
};

TEST(GrpcLoopback, UnaryCallOnEphemeralPort) {
  CountingRaftService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  ASSERT_GT(port, 0);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                     grpc::InsecureChannelCredentials());
  auto stub = raft::RaftService::NewStub(channel);

  raft::MessageBatch batch;
  batch.add_messages()->set_type(raft::MSG_HEARTBEAT);
  batch.add_messages()->set_type(raft::MSG_HEARTBEAT);
  raft::SendResponse response;
  grpc::ClientContext ok_ctx;
  ok_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_TRUE(stub->Send(&ok_ctx, batch, &response).ok());
  EXPECT_EQ(service.received_.load(), 2);

  grpc::ClientContext bad_ctx;
  bad_ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Status status = stub->Send(&bad_ctx, raft::MessageBatch(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "empty batch");

  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace
}  // namespace keel
