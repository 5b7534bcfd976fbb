// Multi-process tests of the controller quorum: real keel-controller processes on loopback
// with ephemeral ports, killed and restarted by pid.
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/controller_cluster.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::set<std::string> TopicNames(const controller::DescribeTopicsResponse& response) {
  std::set<std::string> names;
  for (const auto& t : response.topics()) names.insert(t.name());
  return names;
}

std::vector<std::string> Addresses(ControllerCluster& cluster) {
  std::vector<std::string> out;
  for (int id : cluster.ids()) out.push_back(cluster.Address(id));
  return out;
}

// Waits until node `id` (read directly, no redirect) reports every topic in `want`.
bool WaitForTopicsOnNode(ControllerClient& client, int node_index,
                         const std::set<std::string>& want, milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    controller::DescribeTopicsResponse response;
    if (client.DescribeTopics(&response, node_index).ok()) {
      std::set<std::string> have = TopicNames(response);
      bool all = true;
      for (const auto& name : want) all = all && have.count(name);
      if (all) return true;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

class ControllerQuorumTest : public ::testing::Test {
 protected:
  void StartCluster(ControllerClusterOptions options) {
    cluster_ = std::make_unique<ControllerCluster>(options);
    ASSERT_TRUE(cluster_->StartAll());
    leader_ = cluster_->WaitForLeader(seconds(15));
    ASSERT_GT(leader_, 0) << "no leader; node 1 log:\n" << cluster_->NodeLog(1);
    client_ = std::make_unique<ControllerClient>(Addresses(*cluster_));
  }

  // Registers `count` fake brokers and waits until the controller unfences them all.
  void StartBrokers(int count) {
    for (int id = 1; id <= count; ++id) {
      auto broker = std::make_unique<FakeBroker>(client_.get(), id, cluster_->cluster_id());
      grpc::Status status = broker->Register(seconds(10));
      ASSERT_TRUE(status.ok()) << status.error_message();
      broker->StartHeartbeats();
      brokers_.push_back(std::move(broker));
    }
    auto deadline = std::chrono::steady_clock::now() + seconds(10);
    for (auto& b : brokers_) {
      while (b->fenced() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(50));
      }
      ASSERT_FALSE(b->fenced()) << "broker never unfenced";
    }
  }

  void TearDown() override {
    for (auto& b : brokers_) b->StopHeartbeats();
  }

  std::unique_ptr<ControllerCluster> cluster_;
  std::unique_ptr<ControllerClient> client_;
  std::vector<std::unique_ptr<FakeBroker>> brokers_;
  int leader_ = -1;
};

TEST_F(ControllerQuorumTest, LeaderKillKeepsEveryAcknowledgedTopicAndRestartedNodeCatchesUp) {
  StartCluster({});
  StartBrokers(3);
  std::set<std::string> created;
  for (int i = 0; i < 10; ++i) {
    std::string name = "orders-" + std::to_string(i);
    controller::CreateTopicsResponse response;
    grpc::Status status = client_->CreateTopic(name, 3, 3, &response);
    ASSERT_TRUE(status.ok()) << name << ": " << status.error_message();
    created.insert(name);
  }

  int old_leader = leader_;
  cluster_->KillNode(old_leader);
  int new_leader = cluster_->WaitForLeader(seconds(15));
  ASSERT_GT(new_leader, 0);
  ASSERT_NE(new_leader, old_leader);

  // Every acknowledged topic survived the failover, and the new leader takes writes.
  controller::DescribeTopicsResponse described;
  ASSERT_TRUE(client_->DescribeTopics(&described).ok());
  for (const auto& name : created) EXPECT_TRUE(TopicNames(described).count(name)) << name;
  controller::CreateTopicsResponse response;
  ASSERT_TRUE(client_->CreateTopic("after-failover", 1, 3, &response, seconds(15)).ok());
  created.insert("after-failover");

  // The killed node restarts from its data dir and catches up.
  ASSERT_TRUE(cluster_->StartNode(old_leader));
  EXPECT_TRUE(WaitForTopicsOnNode(*client_, old_leader - 1, created, seconds(15)))
      << cluster_->NodeLog(old_leader);
}

TEST_F(ControllerQuorumTest, LaggingNodeCatchesUpBySnapshotAfterCompaction) {
  ControllerClusterOptions options;
  options.snapshot_every_entries = 20;
  StartCluster(options);
  StartBrokers(1);
  int lagging = leader_ == 3 ? 2 : 3;
  cluster_->KillNode(lagging);
  std::set<std::string> created;
  for (int i = 0; i < 60; ++i) {
    std::string name = "snap-" + std::to_string(i);
    controller::CreateTopicsResponse response;
    ASSERT_TRUE(client_->CreateTopic(name, 1, 1, &response).ok()) << name;
    created.insert(name);
  }
  ASSERT_TRUE(cluster_->StartNode(lagging));
  EXPECT_TRUE(WaitForTopicsOnNode(*client_, lagging - 1, created, seconds(20)))
      << cluster_->NodeLog(lagging);
  EXPECT_NE(cluster_->NodeLog(lagging).find("installed snapshot"), std::string::npos)
      << "the lagging node caught up without a snapshot:\n"
      << cluster_->NodeLog(lagging);
}

TEST_F(ControllerQuorumTest, FiveVotersSurviveTwoFailuresButNotThree) {
  ControllerClusterOptions options;
  options.voters = 5;
  StartCluster(options);
  StartBrokers(1);
  controller::CreateTopicsResponse response;
  ASSERT_TRUE(client_->CreateTopic("five-0", 1, 1, &response).ok());

  // Two followers down: 3 of 5 is still a majority.
  std::vector<int> followers;
  for (int id : cluster_->ids()) {
    if (id != leader_) followers.push_back(id);
  }
  cluster_->KillNode(followers[0]);
  cluster_->KillNode(followers[1]);
  ASSERT_TRUE(client_->CreateTopic("five-1", 1, 1, &response, seconds(15)).ok());

  // A third failure leaves 2 of 5: writes fail with a clear error within their deadline.
  cluster_->KillNode(followers[2]);
  auto start = std::chrono::steady_clock::now();
  grpc::Status status = client_->CreateTopic("five-2", 1, 1, &response, seconds(3));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAVAILABLE ||
              status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_code() << " " << status.error_message();
  EXPECT_LT(elapsed, seconds(8));

  // One voter returns: 3 of 5 again, writes succeed.
  ASSERT_TRUE(cluster_->StartNode(followers[2]));
  status = client_->CreateTopic("five-3", 1, 1, &response, seconds(20));
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ControllerQuorumTest, SigtermOnLeaderTransfersLeadershipAndExitsCleanly) {
  StartCluster({});
  auto start = std::chrono::steady_clock::now();
  int exit_code = cluster_->TerminateNode(leader_, milliseconds(2000));
  EXPECT_EQ(exit_code, 0) << cluster_->NodeLog(leader_);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_NE(cluster_->NodeLog(leader_).find("transferring leadership"), std::string::npos);
  int new_leader = cluster_->WaitForLeader(seconds(10));
  EXPECT_GT(new_leader, 0);
  EXPECT_NE(new_leader, leader_);
}

TEST(ControllerProcess, RefusesDataDirOfAnotherCluster) {
  std::string dir = MakeTempDir("wrong-cluster");
  int port = PickFreePort();
  std::vector<std::string> argv = {RunfilePath("controller/keel-controller"), "--node_id=1",
                                   "--listen=127.0.0.1:" + std::to_string(port),
                                   "--voters=1@127.0.0.1:" + std::to_string(port),
                                   "--data_dir=" + dir, "--cluster_id=first"};
  Process first;
  ASSERT_TRUE(first.Start(argv, dir + "/first.log"));
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(first.Terminate(seconds(3)), 0) << first.LogTail();

  argv.back() = "--cluster_id=second";
  std::string output;
  int code = RunCommand(argv, &output, seconds(10));
  EXPECT_NE(code, 0);
  EXPECT_NE(output.find("belongs to cluster 'first'"), std::string::npos) << output;
}

TEST(ControllerProcess, RejectsBadFlagsWithClearMessage) {
  std::string output;
  int code = RunCommand({RunfilePath("controller/keel-controller"), "--node_id=4",
                         "--voters=1@127.0.0.1:1", "--data_dir=/tmp/x", "--cluster_id=c"},
                        &output, seconds(10));
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("--node_id 4 is not in --voters"), std::string::npos) << output;
  code = RunCommand({RunfilePath("controller/keel-controller"), "--node_id=1",
                     "--voters=1@nohostport", "--data_dir=/tmp/x", "--cluster_id=c"},
                    &output, seconds(10));
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("--voters"), std::string::npos) << output;
}

}  // namespace
}  // namespace keel::testing
