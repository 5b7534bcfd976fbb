// `keelctl cluster up | status | logs | restart-node | down` with real keel-controller (and,
// once the broker serves, keel-broker) processes, found by keelctl itself in its runfiles.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/keelctl_runner.h"
#include "tests/integration/process.h"

namespace keel::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class KeelctlClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("keelctl-cluster");
    base_port_ = PickFreeBasePort();
    ASSERT_GT(base_port_, 0);
  }
  // Whatever a failed assertion left behind is stopped by pid.
  void TearDown() override {
    std::ifstream in(dir_ + "/cluster.json");
    if (!in) return;
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded()) return;
    for (const auto& n : j["Nodes"]) {
      pid_t pid = n.value("Pid", 0);
      if (pid > 0 && !PidGone(pid)) ::kill(pid, SIGKILL);
    }
  }

  CtlResult Ctl(std::vector<std::string> args) {
    args.push_back("--dir=" + dir_);
    return RunKeelctl(args);
  }
  CtlResult Up(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"cluster", "up", "--base-port=" + std::to_string(base_port_),
                                     "--wait-ms=30000", "-o", "json",
                                     // Quick elections keep the test short.
                                     "--controller-arg=--election_timeout_ms=300",
                                     "--controller-arg=--heartbeat_interval_ms=50"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Ctl(args);
  }

  std::string dir_;
  int base_port_ = -1;
};

TEST_F(KeelctlClusterTest, UpStatusLogsRestartNodeDownAndEveryPidIsGone) {
  CtlResult up = Up({"--brokers-count=0"});
  ASSERT_EQ(up.code, 0) << up.Describe();
  nlohmann::json doc = up.Json();
  // --output json prints exactly the document written to DIR/cluster.json.
  std::ifstream file(dir_ + "/cluster.json");
  EXPECT_EQ(nlohmann::json::parse(file), doc);
  ASSERT_EQ(doc["Nodes"].size(), 3u);
  EXPECT_EQ(doc["ClusterId"].get<std::string>().size(), 22u);
  std::string b = std::to_string(base_port_);
  EXPECT_EQ(doc["Controllers"], "127.0.0.1:" + std::to_string(base_port_) + ",127.0.0.1:" +
                                    std::to_string(base_port_ + 1) + ",127.0.0.1:" +
                                    std::to_string(base_port_ + 2));
  std::vector<pid_t> pids;
  for (const auto& n : doc["Nodes"]) {
    EXPECT_EQ(n["Role"], "controller");
    pid_t pid = n["Pid"];
    EXPECT_FALSE(PidGone(pid)) << n.dump();
    pids.push_back(pid);
    EXPECT_TRUE(std::filesystem::is_directory(n["DataDir"].get<std::string>()));
    EXPECT_TRUE(std::filesystem::exists(n["LogFile"].get<std::string>()));
    ASSERT_GE(n["Argv"].size(), 6u);
    EXPECT_NE(n["Argv"][0].get<std::string>().find("keel-controller"), std::string::npos);
    EXPECT_FALSE(n["MetricsAddress"].get<std::string>().empty());
  }

  CtlResult status = Ctl({"cluster", "status", "-o", "json"});
  ASSERT_EQ(status.code, 0) << status.Describe();
  for (const auto& n : status.Json()["Nodes"]) {
    EXPECT_EQ(n["State"], "running");
    EXPECT_EQ(n["Health"], "SERVING");
  }
  CtlResult text = Ctl({"cluster", "status"});
  EXPECT_NE(text.out.find("export KEEL_CONTROLLERS=" + doc["Controllers"].get<std::string>() +
                          " KEEL_BROKERS="),
            std::string::npos)
      << text.out;

  CtlResult logs = Ctl({"cluster", "logs", "controller-2"});
  ASSERT_EQ(logs.code, 0) << logs.Describe();
  EXPECT_NE(logs.out.find("listening on 127.0.0.1:" + std::to_string(base_port_ + 1)),
            std::string::npos)
      << logs.out;
  EXPECT_EQ(Ctl({"cluster", "logs", "broker-9"}).code, 2);

  // The cluster is usable with what `up` printed.
  CtlOptions env;
  env.env["KEEL_CONTROLLERS"] = doc["Controllers"];
  CtlResult quorum = RunKeelctl({"quorum", "status", "-o", "json"}, env);
  ASSERT_EQ(quorum.code, 0) << quorum.Describe();
  EXPECT_EQ(quorum.Json()["ClusterId"], doc["ClusterId"]);

  // A node killed by hand shows as stopped and comes back with restart-node.
  ::kill(pids[1], SIGKILL);
  for (int i = 0; i < 100 && !PidGone(pids[1]); ++i) std::this_thread::sleep_for(milliseconds(20));
  CtlResult after_kill = Ctl({"cluster", "status", "-o", "json"});
  EXPECT_EQ(after_kill.Json()["Nodes"][1]["State"], "stopped") << after_kill.out;
  CtlResult running = Ctl({"cluster", "restart-node", "controller-1"});
  EXPECT_EQ(running.code, 1) << running.Describe();  // it is running: refused
  EXPECT_NE(running.err.find("already running"), std::string::npos);
  CtlResult restarted = Ctl({"cluster", "restart-node", "controller-2", "-o", "json"});
  ASSERT_EQ(restarted.code, 0) << restarted.Describe();
  pid_t new_pid = restarted.Json()["Pid"];
  EXPECT_NE(new_pid, pids[1]);
  EXPECT_FALSE(PidGone(new_pid));
  pids[1] = new_pid;

  // `up` again reuses the cluster id and keeps the running processes.
  CtlResult again = Up({"--brokers-count=0"});
  ASSERT_EQ(again.code, 0) << again.Describe();
  EXPECT_EQ(again.Json()["ClusterId"], doc["ClusterId"]);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(again.Json()["Nodes"][i]["Pid"], pids[i]);

  CtlResult down = Ctl({"cluster", "down", "-o", "json"});
  ASSERT_EQ(down.code, 0) << down.Describe();
  EXPECT_EQ(down.Json()["Stopped"].size(), 3u);
  for (pid_t pid : pids) EXPECT_TRUE(PidGone(pid)) << pid;
  CtlResult stopped = Ctl({"cluster", "status", "-o", "json"});
  for (const auto& n : stopped.Json()["Nodes"]) EXPECT_EQ(n["State"], "stopped");
  CtlResult nothing = Ctl({"cluster", "down"});
  EXPECT_EQ(nothing.code, 0);
  EXPECT_NE(nothing.out.find("Nothing running"), std::string::npos);

  // A stopped cluster restarts on its data with the same id.
  CtlResult restart = Up({"--brokers-count=0"});
  ASSERT_EQ(restart.code, 0) << restart.Describe();
  EXPECT_EQ(restart.Json()["ClusterId"], doc["ClusterId"]);
  ASSERT_EQ(Ctl({"cluster", "down"}).code, 0);
  for (const auto& n : restart.Json()["Nodes"]) EXPECT_TRUE(PidGone(n["Pid"].get<pid_t>()));
}

TEST_F(KeelctlClusterTest, UpFailsWithTheReasonWhenANodeDiesOrNoLeaderArrives) {
  // A broker that refuses its flags exits at once; `up` says which and why.
  CtlResult bad = Up({"--brokers-count=1", "--broker-arg=--broker_id=0"});
  EXPECT_EQ(bad.code, 1) << bad.Describe();
  EXPECT_NE(bad.err.find("broker-1 exited with code 2"), std::string::npos) << bad.Describe();
  EXPECT_NE(bad.err.find("broker_id must be >= 1"), std::string::npos) << bad.Describe();
  CtlResult bad_down = Ctl({"cluster", "down"});
  ASSERT_EQ(bad_down.code, 0) << bad_down.Describe();

  // Controllers that cannot elect within the wait: a bounded timeout naming what was missing.
  CtlResult slow = Ctl({"cluster", "up", "--brokers-count=0", "--controllers-count=3",
                        "--base-port=" + std::to_string(base_port_), "--wait-ms=1500",
                        "--controller-arg=--election_timeout_ms=60000"});
  EXPECT_EQ(slow.code, 1) << slow.Describe();
  EXPECT_NE(slow.err.find("timed out after 1500 ms waiting for a controller leader"),
            std::string::npos)
      << slow.Describe();
  EXPECT_EQ(std::count(slow.err.begin(), slow.err.end(), '\n'), 1);
  CtlResult down = Ctl({"cluster", "down", "--grace-ms=2000"});
  ASSERT_EQ(down.code, 0) << down.Describe();
}

// Produce -> consume through real brokers, replication factor 3.
TEST_F(KeelctlClusterTest, ProduceThenConsumeThroughRealBrokers) {
  CtlResult up = Up({"--brokers-count=3"});
  ASSERT_EQ(up.code, 0) << up.Describe();
  CtlOptions env;
  env.env["KEEL_CONTROLLERS"] = up.Json()["Controllers"];
  env.env["KEEL_BROKERS"] = up.Json()["Brokers"];
  ASSERT_EQ(RunKeelctl({"topics", "create", "t", "--partitions", "2", "--replication-factor", "3"},
                       env)
                .code,
            0);
  // `up` waited until every broker is unfenced; a broker's health follows within 200 ms.
  CtlResult brokers;
  for (int attempt = 0; attempt < 20; ++attempt) {
    brokers = RunKeelctl({"brokers", "list", "-o", "json"}, env);
    ASSERT_EQ(brokers.code, 0) << brokers.Describe();
    if (brokers.out.find("NOT_SERVING") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(brokers.Json()["Brokers"].size(), 3u);
  for (const auto& b : brokers.Json()["Brokers"]) {
    EXPECT_EQ(b["State"], "active") << brokers.out;
    EXPECT_EQ(b["Health"], "SERVING") << brokers.out;
  }
  env.stdin_text = "k1:one\nk2:two\nk1:three\nk3:four\n";
  CtlResult produced =
      RunKeelctl({"produce", "t", "--key-separator", ":", "--acks", "all", "-o", "json"}, env);
  ASSERT_EQ(produced.code, 0) << produced.Describe();
  EXPECT_EQ(produced.Json()["Acknowledged"], 4);
  env.stdin_text.clear();
  CtlResult consumed =
      RunKeelctl({"consume", "t", "--from-beginning", "--max-messages", "4", "-o", "json"}, env);
  ASSERT_EQ(consumed.code, 0) << consumed.Describe();
  std::multiset<std::string> values;
  std::string k1_order;
  for (const auto& r : consumed.Json()["Records"]) {
    values.insert(r["Value"].get<std::string>());
    if (r["Key"] == "k1") k1_order += r["Value"].get<std::string>() + ",";
  }
  EXPECT_EQ(values, (std::multiset<std::string>{"one", "two", "three", "four"}));
  EXPECT_EQ(k1_order, "one,three,");  // one key, one partition, in order
  // Without --max-messages it stops at the end of every partition.
  CtlResult all = RunKeelctl({"consume", "t", "--from-beginning"}, env);
  ASSERT_EQ(all.code, 0) << all.Describe();
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 4) << all.out;
  CtlResult limited = RunKeelctl({"consume", "t", "--from-beginning", "--max-messages", "2",
                                  "--print-key", "--print-offset"},
                                 env);
  ASSERT_EQ(limited.code, 0) << limited.Describe();
  EXPECT_EQ(std::count(limited.out.begin(), limited.out.end(), '\n'), 2) << limited.out;
  EXPECT_EQ(limited.out.rfind("Partition:", 0), 0u) << limited.out;
  // One partition from an offset.
  CtlResult from_offset = RunKeelctl({"consume", "t", "--partition", "0", "--offset", "1",
                                      "-o", "json"},
                                     env);
  ASSERT_EQ(from_offset.code, 0) << from_offset.Describe();
  for (const auto& r : from_offset.Json()["Records"]) {
    EXPECT_EQ(r["Partition"], 0);
    EXPECT_GE(r["Offset"].get<int64_t>(), 1);
  }

  // perf produce / consume (kafka-producer-perf-test / kafka-consumer-perf-test).
  CtlResult perf = RunKeelctl({"perf", "produce", "t", "--num-records", "20000", "--record-size",
                               "100", "--throughput", "-1", "--producer-props", "acks=all",
                               "linger.ms=5", "batch.size=16384", "-o", "json"},
                              env);
  ASSERT_EQ(perf.code, 0) << perf.Describe();
  nlohmann::json stats = perf.Json();
  EXPECT_EQ(stats["Records"], 20000);
  EXPECT_EQ(stats["Failed"], 0);
  EXPECT_GT(stats["RecordsPerSec"].get<double>(), 0);
  EXPECT_LE(stats["P50Ms"].get<double>(), stats["P99Ms"].get<double>());
  EXPECT_LE(stats["P99Ms"].get<double>(), stats["MaxLatencyMs"].get<double>());
  CtlResult throttled = RunKeelctl({"perf", "produce", "t", "--num-records", "200",
                                    "--record-size", "10", "--throughput", "400"},
                                   env);
  ASSERT_EQ(throttled.code, 0) << throttled.Describe();
  EXPECT_GE(throttled.elapsed, std::chrono::milliseconds(400));  // 200 records at 400/s
  EXPECT_TRUE(std::regex_search(
      throttled.out, std::regex("200 records sent, [0-9.]+ records/sec \\([0-9.]+ MB/sec\\), "
                                "[0-9.]+ ms avg latency, [0-9.]+ ms max latency, [0-9]+ ms 50th, "
                                "[0-9]+ ms 95th, [0-9]+ ms 99th, [0-9]+ ms 99.9th.")))
      << throttled.out;
  CtlResult read = RunKeelctl({"perf", "consume", "t", "--messages", "20204", "-o", "json"}, env);
  ASSERT_EQ(read.code, 0) << read.Describe();
  EXPECT_EQ(read.Json()["Records"], 20204);
  EXPECT_EQ(RunKeelctl({"perf", "produce", "t", "--num-records", "1", "--producer-props",
                        "batch.sise=1"},
                       env)
                .code,
            2);

  ASSERT_EQ(Ctl({"cluster", "down"}).code, 0);
  for (const auto& n : up.Json()["Nodes"]) EXPECT_TRUE(PidGone(n["Pid"].get<pid_t>()));
}

}  // namespace
}  // namespace keel::testing
