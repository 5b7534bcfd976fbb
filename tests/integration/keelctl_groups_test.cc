// keelctl groups list | describe | reset-offsets | delete against a real local cluster
// (keelctl cluster up: 1 controller, 1 broker), with a group formed by client::GroupClient
// over the broker's GroupService: one member owning both partitions of a topic through a
// Kafka ConsumerProtocol assignment, with committed offsets behind the log end.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "client/consumer_protocol.h"
#include "client/group_client.h"
#include "observability/http_get.h"
#include "tests/integration/prometheus_text.h"
#include "tests/integration/keelctl_runner.h"
#include "tests/integration/process.h"

namespace keel::testing {
namespace {

namespace pb = keel::group;

class KeelctlGroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("keelctl-groups");
    base_port_ = PickFreeBasePort();
    ASSERT_GT(base_port_, 0);
  }
  void TearDown() override {
    RunKeelctl({"cluster", "down", "--dir=" + dir_});
    std::ifstream in(dir_ + "/cluster.json");
    if (!in) return;
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return;
    for (const auto& n : j["Nodes"]) {
      pid_t pid = n.value("Pid", 0);
      if (pid > 0 && !PidGone(pid)) ::kill(pid, SIGKILL);
    }
  }

  CtlResult Ctl(std::vector<std::string> args, const std::string& stdin_text = "") {
    CtlOptions o;
    o.env["KEEL_CONTROLLERS"] = controllers_;
    o.stdin_text = stdin_text;
    return RunKeelctl(args, o);
  }

  std::string dir_;
  int base_port_ = -1;
  std::string controllers_;
};

TEST_F(KeelctlGroupsTest, ListDescribeResetAndDeleteAGroupFormedOverGrpc) {
  CtlResult up = RunKeelctl({"cluster", "up", "--dir=" + dir_,
                             "--base-port=" + std::to_string(base_port_), "--wait-ms=30000",
                             "--controllers-count=1", "--brokers-count=1", "-o", "json",
                             "--controller-arg=--election_timeout_ms=300",
                             "--controller-arg=--heartbeat_interval_ms=50",
                             "--broker-arg=--group_initial_rebalance_delay_ms=50",
                             "--broker-arg=--offsets_topic_num_partitions=2"});
  ASSERT_EQ(up.code, 0) << up.Describe();
  controllers_ = up.Json()["Controllers"].get<std::string>();
  const std::string broker = up.Json()["Brokers"].get<std::string>();
  ASSERT_EQ(Ctl({"topics", "create", "t", "--partitions", "2", "--replication-factor", "1"}).code,
            0);
  CtlResult produced = Ctl({"produce", "t", "--partition", "0", "--acks", "all"},
                           "a\nb\nc\nd\ne\n");
  ASSERT_EQ(produced.code, 0) << produced.Describe();
  ASSERT_EQ(Ctl({"produce", "t", "--partition", "1", "--acks", "all"}, "x\ny\n").code, 0);

  // One member owns t-0 and t-1 and commits 2 of 5 and 2 of 2.
  client::GroupClientOptions co;
  co.bootstrap_brokers = {broker};
  co.request_timeout_ms = 15000;
  client::GroupClient groups(co);
  pb::JoinGroupRequest join;
  join.set_group_id("g1");
  join.set_client_id("lag-client");
  join.set_session_timeout_ms(30000);
  join.set_rebalance_timeout_ms(5000);
  join.set_protocol_type(client::kConsumerProtocolType);
  auto* proto = join.add_protocols();
  proto->set_name("range");
  client::ConsumerSubscription subscription;
  subscription.topics = {"t"};
  proto->set_metadata(client::EncodeSubscription(subscription));
  auto asked = groups.JoinGroup(join);
  ASSERT_TRUE(asked.ok()) << asked.status();
  ASSERT_EQ(asked->error(), keel::MEMBER_ID_REQUIRED);
  join.set_member_id(asked->member_id());
  auto joined = groups.JoinGroup(join);
  ASSERT_TRUE(joined.ok()) << joined.status();
  ASSERT_EQ(joined->error(), keel::NONE) << joined->error_message();
  const std::string member = joined->member_id();
  pb::SyncGroupRequest sync;
  sync.set_group_id("g1");
  sync.set_generation_id(joined->generation_id());
  sync.set_member_id(member);
  client::ConsumerAssignment assignment;
  assignment.partitions["t"] = {0, 1};
  auto* a = sync.add_assignments();
  a->set_member_id(member);
  a->set_assignment(client::EncodeAssignment(assignment));
  auto synced = groups.SyncGroup(sync);
  ASSERT_TRUE(synced.ok()) << synced.status();
  ASSERT_EQ(synced->error(), keel::NONE);
  pb::OffsetCommitRequest commit;
  commit.set_group_id("g1");
  commit.set_generation_id(joined->generation_id());
  commit.set_member_id(member);
  auto* ct = commit.add_topics();
  ct->set_topic("t");
  for (int32_t p : {0, 1}) {
    auto* cp = ct->add_partitions();
    cp->set_partition(p);
    cp->set_offset(2);
    cp->set_leader_epoch(-1);
  }
  auto committed = groups.OffsetCommit(commit);
  ASSERT_TRUE(committed.ok()) << committed.status();
  ASSERT_EQ(committed->topics(0).partitions(0).error(), keel::NONE);

  // The coordinator's metrics on the broker's /metrics: the join, the sync, the commit, and
  // the lag of both partitions (this single broker leads them).
  std::string metrics_address;
  for (const auto& n : up.Json()["Nodes"]) {
    if (n["Role"] == "broker") metrics_address = n.value("MetricsAddress", "");
  }
  ASSERT_FALSE(metrics_address.empty()) << up.out;
  const int metrics_port = std::stoi(metrics_address.substr(metrics_address.rfind(':') + 1));
  auto scraped = observability::HttpGet("127.0.0.1", metrics_port, "/metrics",
                                        std::chrono::seconds(5));
  ASSERT_TRUE(scraped.ok()) << scraped.status();
  const std::string& text = scraped->body;
  EXPECT_EQ(Sum(text, "keel_group_join_duration_seconds_count"), 1) << text;
  EXPECT_EQ(Sum(text, "keel_group_sync_duration_seconds_count"), 1);
  EXPECT_EQ(Sum(text, "keel_group_commits_total"), 1);
  EXPECT_EQ(Sum(text, "keel_group_committed_partitions_total", {"result=\"ok\""}), 2);
  EXPECT_EQ(Sum(text, "keel_group_groups", {"state=\"Stable\""}), 1);
  EXPECT_EQ(Sum(text, "keel_group_members", {"group=\"g1\""}), 1);
  EXPECT_EQ(Sum(text, "keel_group_lag", {"group=\"g1\"", "partition=\"0\""}), 3) << text;
  EXPECT_EQ(Sum(text, "keel_group_lag", {"group=\"g1\"", "partition=\"1\""}), 0);

  CtlResult list = Ctl({"groups", "list"});
  ASSERT_EQ(list.code, 0) << list.Describe();
  EXPECT_EQ(list.out, "g1\n");
  CtlResult list_state = Ctl({"groups", "list", "--state"});
  EXPECT_NE(list_state.out.find("Stable"), std::string::npos) << list_state.Describe();
  CtlResult list_json = Ctl({"groups", "list", "-o", "json"});
  ASSERT_EQ(list_json.Json()["Groups"].size(), 1u) << list_json.Describe();
  EXPECT_EQ(list_json.Json()["Groups"][0]["Members"], 1);

  CtlResult describe = Ctl({"groups", "describe", "g1"});
  ASSERT_EQ(describe.code, 0) << describe.Describe();
  EXPECT_NE(describe.out.find("GROUP  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  "
                              "CONSUMER-ID"),
            std::string::npos)
      << describe.out;
  EXPECT_NE(describe.out.find("lag-client"), std::string::npos) << describe.out;
  CtlResult describe_json = Ctl({"groups", "describe", "g1", "-o", "json"});
  ASSERT_EQ(describe_json.code, 0) << describe_json.Describe();
  const nlohmann::json& rows = describe_json.Json()["Partitions"];
  ASSERT_EQ(rows.size(), 2u) << describe_json.out;
  EXPECT_EQ(rows[0]["Partition"], 0);
  EXPECT_EQ(rows[0]["CurrentOffset"], 2);
  EXPECT_EQ(rows[0]["LogEndOffset"], 5);
  EXPECT_EQ(rows[0]["Lag"], 3);
  EXPECT_EQ(rows[0]["ConsumerId"], member);
  EXPECT_EQ(rows[0]["Host"], "/127.0.0.1");
  EXPECT_EQ(rows[0]["ClientId"], "lag-client");
  EXPECT_EQ(rows[1]["Lag"], 0);
  CtlResult members = Ctl({"groups", "describe", "g1", "--members", "-o", "json"});
  ASSERT_EQ(members.Json()["Members"].size(), 1u) << members.Describe();
  EXPECT_EQ(members.Json()["Members"][0]["Partitions"], 2);
  CtlResult state = Ctl({"groups", "describe", "g1", "--state"});
  EXPECT_NE(state.out.find("Stable"), std::string::npos) << state.Describe();
  EXPECT_NE(state.out.find("range"), std::string::npos) << state.Describe();

  // Refused while the member is there; deleting too.
  CtlResult refused = Ctl({"groups", "reset-offsets", "g1", "--topic", "t", "--to-earliest"});
  EXPECT_EQ(refused.code, 1) << refused.Describe();
  EXPECT_NE(refused.err.find("active member"), std::string::npos) << refused.err;
  CtlResult not_deleted = Ctl({"groups", "delete", "g1"});
  EXPECT_EQ(not_deleted.code, 1);
  EXPECT_NE(not_deleted.err.find("NON_EMPTY_GROUP"), std::string::npos) << not_deleted.err;
  EXPECT_EQ(Ctl({"groups", "reset-offsets", "g1", "--topic", "t"}).code, 2) << "no mode";

  pb::LeaveGroupRequest leave;
  leave.set_group_id("g1");
  leave.add_members()->set_member_id(member);
  ASSERT_TRUE(groups.LeaveGroup(leave).ok());

  CtlResult dry = Ctl({"groups", "reset-offsets", "g1", "--topic", "t", "--to-earliest",
                       "-o", "json"});
  ASSERT_EQ(dry.code, 0) << dry.Describe();
  EXPECT_EQ(dry.Json()["Executed"], false);
  EXPECT_EQ(dry.Json()["Offsets"][0]["NewOffset"], 0);
  EXPECT_EQ(Ctl({"groups", "describe", "g1", "-o", "json"}).Json()["Partitions"][0]["CurrentOffset"],
            2)
      << "a dry run changes nothing";
  CtlResult executed =
      Ctl({"groups", "reset-offsets", "g1", "--topic", "t", "--shift-by", "-1", "--execute"});
  ASSERT_EQ(executed.code, 0) << executed.Describe();
  CtlResult after = Ctl({"groups", "describe", "g1", "-o", "json"});
  EXPECT_EQ(after.Json()["Partitions"][0]["CurrentOffset"], 1) << after.out;
  EXPECT_EQ(after.Json()["Partitions"][0]["Lag"], 4) << after.out;
  ASSERT_EQ(Ctl({"groups", "reset-offsets", "g1", "--topic", "t", "--to-latest", "--execute"})
                .code,
            0);
  EXPECT_EQ(Ctl({"groups", "describe", "g1", "-o", "json"}).Json()["Partitions"][0]["Lag"], 0);

  CtlResult deleted = Ctl({"groups", "delete", "g1"});
  ASSERT_EQ(deleted.code, 0) << deleted.Describe();
  CtlResult gone = Ctl({"groups", "describe", "g1"});
  EXPECT_EQ(gone.code, 1);
  EXPECT_NE(gone.err.find("does not exist"), std::string::npos) << gone.err;
  EXPECT_EQ(Ctl({"groups", "list"}).out, "");
}

}  // namespace
}  // namespace keel::testing
