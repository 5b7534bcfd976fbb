// keelctl as an operator runs it: a subprocess against a real 3-controller quorum (brokers are
// FakeBrokers that register and heartbeat). Checks the JSON documents field by field, the
// Kafka-style text, error exits, and the leader redirect after the leader is killed.
#include <chrono>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/controller_cluster.h"
#include "tests/integration/keelctl_runner.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

class KeelctlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = std::make_unique<ControllerCluster>(ControllerClusterOptions{});
    ASSERT_TRUE(cluster_->StartAll());
    leader_ = cluster_->WaitForLeader(seconds(15));
    ASSERT_GT(leader_, 0);
    std::vector<std::string> addresses;
    for (int id : cluster_->ids()) addresses.push_back(cluster_->Address(id));
    client_ = std::make_unique<ControllerClient>(addresses);
    for (int id = 1; id <= 3; ++id) {
      brokers_.push_back(std::make_unique<FakeBroker>(client_.get(), id, cluster_->cluster_id()));
      ASSERT_TRUE(brokers_.back()->Register(seconds(10)).ok());
      brokers_.back()->StartHeartbeats();
    }
    for (auto& b : brokers_) {
      for (int i = 0; i < 100 && b->fenced(); ++i) std::this_thread::sleep_for(milliseconds(50));
      ASSERT_FALSE(b->fenced());
    }
  }
  void TearDown() override {
    for (auto& b : brokers_) b->StopHeartbeats();
  }

  // keelctl with the cluster found from $KEEL_CONTROLLERS.
  CtlResult Ctl(std::vector<std::string> args) {
    CtlOptions options;
    options.env["KEEL_CONTROLLERS"] = cluster_->AllAddresses();
    return RunKeelctl(args, options);
  }

  std::unique_ptr<ControllerCluster> cluster_;
  std::unique_ptr<ControllerClient> client_;
  std::vector<std::unique_ptr<FakeBroker>> brokers_;
  int leader_ = -1;
};

TEST_F(KeelctlCliTest, QuorumStatusJsonNamesTheLeaderAndEveryControllersHealth) {
  CtlResult r = Ctl({"quorum", "status", "--output", "json"});
  ASSERT_EQ(r.code, 0) << r.Describe();
  nlohmann::json j = r.Json();
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["ClusterId"], cluster_->cluster_id());
  EXPECT_EQ(j["LeaderId"], leader_);
  EXPECT_EQ(j["CurrentVoters"], nlohmann::json::array({1, 2, 3}));
  for (const char* key : {"LeaderEpoch", "HighWatermark", "MaxFollowerLag", "MaxFollowerLagTimeMs",
                          "CurrentObservers"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  ASSERT_EQ(j["Controllers"].size(), 3u);
  int leaders = 0;
  for (const auto& c : j["Controllers"]) {
    EXPECT_EQ(c["Health"], "SERVING") << c.dump();
    EXPECT_EQ(c["LeaderId"], leader_);
    leaders += c["Role"] == "Leader";
    if (c["Role"] == "Leader") {
      EXPECT_EQ(c["Address"], cluster_->Address(leader_));
    }
  }
  EXPECT_EQ(leaders, 1);

  CtlResult replication = Ctl({"quorum", "replication", "-o", "json"});
  ASSERT_EQ(replication.code, 0) << replication.Describe();
  EXPECT_EQ(replication.Json()["Replicas"].size(), 3u);
}

TEST_F(KeelctlCliTest, TopicsAndBrokersInJsonAndKafkaText) {
  CtlResult created = Ctl({"topics", "create", "orders", "--partitions", "2",
                           "--replication-factor", "3", "--config", "retention.ms=60000"});
  ASSERT_EQ(created.code, 0) << created.Describe();
  EXPECT_EQ(created.out, "Created topic orders.\n");

  CtlResult described = Ctl({"-o", "json", "topics", "describe", "orders"});
  ASSERT_EQ(described.code, 0) << described.Describe();
  nlohmann::json topic = described.Json()["Topics"][0];
  EXPECT_EQ(topic["Topic"], "orders");
  EXPECT_EQ(topic["PartitionCount"], 2);
  EXPECT_EQ(topic["ReplicationFactor"], 3);
  EXPECT_EQ(topic["Configs"]["retention.ms"], "60000");
  EXPECT_EQ(topic["TopicId"].get<std::string>().size(), 32u);
  ASSERT_EQ(topic["Partitions"].size(), 2u);
  for (const auto& p : topic["Partitions"]) {
    EXPECT_EQ(p["Replicas"].size(), 3u);
    EXPECT_EQ(p["Isr"].size(), 3u);
    EXPECT_GE(p["Leader"].get<int>(), 1);
  }

  // Kafka's kafka-topics --describe layout, tab-separated.
  CtlResult text = Ctl({"topics", "describe", "orders"});
  ASSERT_EQ(text.code, 0) << text.Describe();
  std::regex header(
      "Topic: orders\tTopicId: [0-9a-f]{32}\tPartitionCount: 2\tReplicationFactor: 3\t"
      "Configs: retention.ms=60000\n");
  std::regex partition("\tTopic: orders\tPartition: [01]\tLeader: [123]\tReplicas: "
                       "[123],[123],[123]\tIsr: [123],[123],[123]\n");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(text.out, m, header)) << text.out;
  EXPECT_EQ(std::distance(std::sregex_iterator(text.out.begin(), text.out.end(), partition),
                          std::sregex_iterator()),
            2)
      << text.out;

  CtlResult listed = Ctl({"topics", "list", "-o", "json"});
  ASSERT_EQ(listed.code, 0) << listed.Describe();
  EXPECT_EQ(listed.Json()["Topics"], nlohmann::json::array({"orders"}));

  CtlResult brokers = Ctl({"brokers", "list", "-o", "json"});
  ASSERT_EQ(brokers.code, 0) << brokers.Describe();
  ASSERT_EQ(brokers.Json()["Brokers"].size(), 3u);
  for (const auto& b : brokers.Json()["Brokers"]) {
    EXPECT_EQ(b["State"], "active");
    EXPECT_GT(b["Epoch"].get<int64_t>(), 0);
    // The fake brokers serve nothing on their advertised port.
    EXPECT_EQ(b["Health"], "UNREACHABLE");
    for (const char* key : {"Id", "Address", "Rack"}) EXPECT_TRUE(b.contains(key)) << key;
  }
  CtlResult brokers_text = Ctl({"brokers", "list"});
  EXPECT_EQ(brokers_text.out.rfind("Id  Address          Rack  Epoch", 0), 0u) << brokers_text.out;

  CtlResult deleted = Ctl({"topics", "delete", "orders", "-o", "json"});
  ASSERT_EQ(deleted.code, 0) << deleted.Describe();
  EXPECT_EQ(deleted.Json()["Deleted"], nlohmann::json::array({"orders"}));
}

TEST_F(KeelctlCliTest, MetadataLogStopsWhenCaughtUpAndImageShowsTheTopic) {
  ASSERT_EQ(Ctl({"topics", "create", "events", "--partitions", "3", "--replication-factor", "2"}).code,
            0);
  CtlResult log = Ctl({"metadata", "log", "-o", "json"});
  ASSERT_EQ(log.code, 0) << log.Describe();
  nlohmann::json j = log.Json();
  int64_t caught_up = j["CaughtUpOffset"];
  int topics = 0, partitions = 0, registrations = 0;
  int64_t last = 0;
  for (const auto& r : j["Records"]) {
    EXPECT_GE(r["Offset"].get<int64_t>(), last);  // in log order
    last = r["Offset"];
    EXPECT_GE(r["Epoch"].get<int64_t>(), 1);
    topics += r["Type"] == "TopicRecord" && r["Record"]["name"] == "events";
    partitions += r["Type"] == "PartitionRecord";
    registrations += r["Type"] == "RegisterBrokerRecord";
  }
  EXPECT_EQ(topics, 1) << log.out;
  EXPECT_EQ(partitions, 3);
  EXPECT_EQ(registrations, 3);
  EXPECT_LE(last, caught_up);

  // Text: one line per record with its offset and epoch.
  CtlResult text = Ctl({"metadata", "log", "--from", std::to_string(last)});
  ASSERT_EQ(text.code, 0) << text.Describe();
  EXPECT_NE(text.out.find("Offset: " + std::to_string(last) + "\tEpoch: "), std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("Offset: " + std::to_string(last - 1) + "\t"), std::string::npos);
  // Past the end: nothing to print, and it does not wait.
  CtlResult empty = Ctl({"metadata", "log", "--from", "1000000", "-o", "json"});
  ASSERT_EQ(empty.code, 0) << empty.Describe();
  EXPECT_TRUE(empty.Json()["Records"].empty());
  EXPECT_LT(empty.elapsed, seconds(5));

  CtlResult image = Ctl({"metadata", "image", "-o", "json"});
  ASSERT_EQ(image.code, 0) << image.Describe();
  nlohmann::json img = image.Json();
  ASSERT_EQ(img["Topics"].size(), 1u) << image.out;
  EXPECT_EQ(img["Topics"][0]["Name"], "events");
  EXPECT_EQ(img["Topics"][0]["Partitions"].size(), 3u);
  EXPECT_EQ(img["Brokers"].size(), 3u);
  // keelctl rebuilds the image with the controllers' own MetadataImage, so every partition
  // reads as the controller describes it (leader, epochs, replicas, ISR).
  CtlResult described = Ctl({"-o", "json", "topics", "describe", "events"});
  ASSERT_EQ(described.code, 0) << described.Describe();
  const nlohmann::json& want = described.Json()["Topics"][0]["Partitions"];
  ASSERT_EQ(want.size(), 3u) << described.out;
  for (size_t p = 0; p < want.size(); ++p) {
    const nlohmann::json& got = img["Topics"][0]["Partitions"][p];
    EXPECT_EQ(got["Partition"], want[p]["Partition"]);
    EXPECT_EQ(got["Leader"], want[p]["Leader"]) << image.out;
    EXPECT_EQ(got["LeaderEpoch"], want[p]["LeaderEpoch"]) << image.out;
    EXPECT_EQ(got["Replicas"], want[p]["Replicas"]);
    EXPECT_EQ(got["Isr"], want[p]["Isr"]);
  }
  CtlResult tree = Ctl({"metadata", "image"});
  ASSERT_EQ(tree.code, 0) << tree.Describe();
  EXPECT_NE(tree.out.find("`-- topics (1)"), std::string::npos) << tree.out;
  EXPECT_NE(tree.out.find("events  topic_id="), std::string::npos) << tree.out;
}

TEST_F(KeelctlCliTest, ErrorsExitNonZeroWithOneLineOnStderr) {
  // Unreachable cluster: exit 1 within the deadline.
  CtlOptions nowhere;
  nowhere.env["KEEL_CONTROLLERS"] = "127.0.0.1:1";
  for (std::vector<std::string> cmd :
       {std::vector<std::string>{"topics", "list"}, {"quorum", "status"}, {"metadata", "log"},
        {"metadata", "image"}, {"brokers", "list"}, {"consume", "orders"}}) {
    cmd.push_back("--timeout-ms=1500");
    CtlResult r = RunKeelctl(cmd, nowhere);
    EXPECT_EQ(r.code, 1) << cmd[0] << " " << cmd[1] << ": " << r.Describe();
    EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
    EXPECT_EQ(r.err.rfind("keelctl: ", 0), 0u) << r.Describe();
    EXPECT_LT(r.elapsed, seconds(10)) << r.Describe();
  }
  // Invalid input: exit 2.
  for (const std::vector<std::string>& cmd :
       {std::vector<std::string>{"topics", "create", "x", "--partitions", "many",
                                 "--replication-factor", "1"},
        {"produce", "orders", "--acks", "some"},
        {"consume", "orders", "--from-beginning", "--offset", "3"},
        {"-o", "yaml", "topics", "list"},
        {"cluster", "up"},
        {"metadata", "log", "--from", "-4"}}) {
    CtlResult r = Ctl(cmd);
    EXPECT_EQ(r.code, 2) << cmd[0] << " " << cmd[1] << ": " << r.Describe();
    EXPECT_EQ(Lines(r.err), 1u) << r.Describe();
  }
  // The cluster says no: exit 1 with Kafka's error name.
  ASSERT_EQ(Ctl({"topics", "create", "dup", "--partitions", "1", "--replication-factor", "1"}).code, 0);
  CtlResult dup = Ctl({"topics", "create", "dup", "--partitions", "1", "--replication-factor", "1"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("TOPIC_ALREADY_EXISTS"), std::string::npos) << dup.Describe();
  EXPECT_EQ(Lines(dup.err), 1u);
  CtlResult unknown = Ctl({"consume", "no-such-topic", "--timeout-ms=2000"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("UNKNOWN_TOPIC_OR_PARTITION"), std::string::npos) << unknown.Describe();
  // The leaders are fake brokers that serve nothing: produce retries, then fails in time.
  CtlOptions produce;
  produce.env["KEEL_CONTROLLERS"] = cluster_->AllAddresses();
  produce.stdin_text = "a\nb\n";
  CtlResult unacked = RunKeelctl({"produce", "dup", "--timeout-ms=2000"}, produce);
  EXPECT_EQ(unacked.code, 1) << unacked.Describe();
  EXPECT_NE(unacked.err.find("2 records not acknowledged"), std::string::npos) << unacked.Describe();
  EXPECT_LT(unacked.elapsed, seconds(10));
}

TEST_F(KeelctlCliTest, TopicsAlterAndConfigsDescribeAndAlter) {
  ASSERT_EQ(Ctl({"topics", "create", "cfg", "--partitions", "1", "--replication-factor", "1",
                 "--config", "retention.ms=1000"})
                .code,
            0);
  CtlResult altered = Ctl({"topics", "alter", "cfg", "--partitions", "3", "-o", "json"});
  ASSERT_EQ(altered.code, 0) << altered.Describe();
  EXPECT_EQ(altered.Json()["PartitionCount"], 3);
  // Fewer partitions than now is refused (kafka-topics --alter cannot shrink).
  CtlResult shrink = Ctl({"topics", "alter", "cfg", "--partitions", "2"});
  EXPECT_EQ(shrink.code, 1) << shrink.Describe();
  EXPECT_NE(shrink.err.find("INVALID_PARTITIONS"), std::string::npos) << shrink.err;

  CtlResult set = Ctl({"configs", "alter", "--topic", "cfg", "--add-config",
                       "cleanup.policy=delete,retention.ms=60000"});
  ASSERT_EQ(set.code, 0) << set.Describe();
  EXPECT_EQ(set.out, "Completed updating config for topic cfg.\n");
  CtlResult described = Ctl({"configs", "describe", "--topic", "cfg", "-o", "json"});
  ASSERT_EQ(described.code, 0) << described.Describe();
  EXPECT_EQ(described.Json()["Configs"],
            nlohmann::json({{"cleanup.policy", "delete"}, {"retention.ms", "60000"}}));
  CtlResult deleted =
      Ctl({"configs", "alter", "--topic", "cfg", "--delete-config", "retention.ms", "-o", "json"});
  ASSERT_EQ(deleted.code, 0) << deleted.Describe();
  EXPECT_EQ(deleted.Json()["Deleted"], nlohmann::json::array({"retention.ms"}));
  CtlResult text = Ctl({"configs", "describe", "--topic", "cfg"});
  ASSERT_EQ(text.code, 0) << text.Describe();
  EXPECT_EQ(text.out, "Dynamic configs for topic cfg are:\n  cleanup.policy=delete\n");
  CtlResult topic = Ctl({"topics", "describe", "cfg", "-o", "json"});
  EXPECT_EQ(topic.Json()["Topics"][0]["PartitionCount"], 3);

  // Usage errors exit 2; the cluster's refusals exit 1.
  EXPECT_EQ(Ctl({"configs", "alter", "--topic", "cfg"}).code, 2);
  EXPECT_EQ(Ctl({"configs", "alter", "--topic", "cfg", "--add-config", "novalue"}).code, 2);
  EXPECT_EQ(Ctl({"configs", "alter", "--topic", "cfg", "--add-config", "a=1",
                 "--delete-config", "a"})
                .code,
            2);
  CtlResult bad = Ctl({"configs", "alter", "--topic", "cfg", "--add-config", "no.such.config=1"});
  EXPECT_EQ(bad.code, 1) << bad.Describe();
  EXPECT_NE(bad.err.find("INVALID_CONFIG"), std::string::npos) << bad.err;
  CtlResult missing = Ctl({"configs", "describe", "--topic", "nope"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("UNKNOWN_TOPIC_OR_PARTITION"), std::string::npos) << missing.err;
}

TEST_F(KeelctlCliTest, FollowsTheNewLeaderAfterTheLeaderIsKilled) {
  // Name the doomed leader first, so keelctl must fall over to the others by itself.
  std::string addresses = cluster_->Address(leader_);
  for (int id : cluster_->ids()) {
    if (id != leader_) addresses += "," + cluster_->Address(id);
  }
  cluster_->KillNode(leader_);
  CtlOptions options;
  options.env["KEEL_CONTROLLERS"] = addresses;
  CtlResult created = RunKeelctl(
      {"topics", "create", "after-failover", "--partitions", "1", "--replication-factor", "1"},
      options);
  ASSERT_EQ(created.code, 0) << created.Describe();
  CtlResult status = RunKeelctl({"quorum", "status", "-o", "json"}, options);
  ASSERT_EQ(status.code, 0) << status.Describe();
  nlohmann::json j = status.Json();
  EXPECT_NE(j["LeaderId"], leader_);
  EXPECT_GT(j["LeaderId"].get<int>(), 0);
  EXPECT_EQ(j["Controllers"][0]["Health"], "UNREACHABLE") << status.out;
  CtlResult listed = RunKeelctl({"topics", "list", "-o", "json"}, options);
  ASSERT_EQ(listed.code, 0) << listed.Describe();
  EXPECT_EQ(listed.Json()["Topics"], nlohmann::json::array({"after-failover"}));
}

}  // namespace
}  // namespace keel::testing
