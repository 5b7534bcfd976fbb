#include "controller/raft_transport.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace keel::controller {
namespace {

struct Inbox {
  std::mutex mu;
  std::vector<raft::Message> messages;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return messages.size();
  }
};

bool WaitFor(const std::function<bool()>& done, int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

raft::Message Heartbeat(uint64_t from, uint64_t to, uint64_t term) {
  raft::Message m;
  m.set_type(raft::MSG_HEARTBEAT);
  m.set_from(from);
  m.set_to(to);
  m.set_term(term);
  return m;
}

TEST(RaftTransport, DeliversInOrderToTheAddressedPeer) {
  // Node 2 listens on an ephemeral port; node 1 learns it before building its transport.
  RaftTransport receiver(2, {{2, "unused:1"}}, {});
  Inbox inbox;
  receiver.SetHandler([&](raft::Message m) {
    std::lock_guard<std::mutex> lock(inbox.mu);
    inbox.messages.push_back(std::move(m));
  });
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(receiver.service());
  auto server = builder.BuildAndStart();
  ASSERT_GT(port, 0);

  RaftTransport sender(1, {{1, "unused:1"}, {2, "127.0.0.1:" + std::to_string(port)}}, {});
  std::vector<raft::Message> batch;
  for (uint64_t term = 1; term <= 100; ++term) batch.push_back(Heartbeat(1, 2, term));
  batch.push_back(Heartbeat(1, 9, 1));  // unknown peer: dropped, not delivered
  sender.Send(std::move(batch));

  ASSERT_TRUE(WaitFor([&] { return inbox.size() == 100; })) << inbox.size();
  {
    std::lock_guard<std::mutex> lock(inbox.mu);
    for (size_t i = 0; i < inbox.messages.size(); ++i) {
      EXPECT_EQ(inbox.messages[i].term(), i + 1);  // one sender thread per peer keeps order
      EXPECT_EQ(inbox.messages[i].to(), 2u);
    }
  }
  EXPECT_EQ(sender.dropped_messages(), 1u);
  sender.Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

TEST(RaftTransport, DeadPeerDropsWithoutBlocking) {
  // Port 1 on loopback refuses connections; Send must return at once and count drops.
  RaftTransport sender(1, {{1, "unused:1"}, {2, "127.0.0.1:1"}}, {});
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) sender.Send({Heartbeat(1, 2, 1)});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
  EXPECT_TRUE(WaitFor([&] { return sender.dropped_messages() == 10; }))
      << sender.dropped_messages();
  EXPECT_EQ(sender.sent_messages(), 0u);
}

TEST(RaftTransport, RejectsMisaddressedBatch) {
  RaftTransport receiver(2, {{2, "unused:1"}}, {});
  receiver.SetHandler([](raft::Message) { FAIL() << "misaddressed message was delivered"; });
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(receiver.service());
  auto server = builder.BuildAndStart();
  auto stub = raft::RaftService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  raft::MessageBatch batch;
  *batch.add_messages() = Heartbeat(1, 3, 1);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  raft::SendResponse response;
  grpc::Status status = stub->Send(&context, batch, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
}

}  // namespace
}  // namespace keel::controller
