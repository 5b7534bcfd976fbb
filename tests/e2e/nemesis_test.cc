// Issue #10: a nemesis against a real cluster of 3 controllers and 3 brokers while clients
// create and delete topics, produce with acks=all and consume; then checkers over the
// recorded history, the final image, the partition logs and the processes.
//
// Short mode (the default, CI): at least 100 injected faults, the whole test within 5
// minutes. Long mode: KEEL_E2E_MODE=long, at least 1,000 faults. KEEL_E2E_SEED=N replays a
// schedule; KEEL_E2E_FAULTS=N overrides the fault count. See docs/testing.md.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/e2e/clients.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/e2e_env.h"
#include "tests/e2e/history.h"
#include "tests/e2e/leader_epochs.h"
#include "tests/e2e/linearizability.h"
#include "tests/e2e/nemesis.h"
#include "tests/e2e/record_checker.h"

namespace keel::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kDataTopic[] = "e2e-data";
constexpr int kDataPartitions = 3;
constexpr int kMetadataClients = 3;
constexpr int kChurnNames = 8;
constexpr char kChurnPrefix[] = "n";

struct RunConfig {
  std::string mode = "short";
  uint64_t seed = 20261110;
  int64_t faults = 110;
  int64_t max_nemesis_ms = 200000;
};

RunConfig ConfigFromEnv() {
  RunConfig c;
  if (const char* m = std::getenv("KEEL_E2E_MODE"); m != nullptr && std::string(m) == "long") {
    c.mode = "long";
    c.faults = 1000;
    c.max_nemesis_ms = 3 * 3600 * 1000;
  }
  if (const char* s = std::getenv("KEEL_E2E_SEED"); s != nullptr && *s != '\0') {
    c.seed = std::string(s) == "random" ? std::random_device{}() : std::stoull(s);
  }
  if (const char* f = std::getenv("KEEL_E2E_FAULTS"); f != nullptr && *f != '\0') {
    c.faults = std::stoll(f);
  }
  return c;
}

std::string ReplayCommand(const RunConfig& c) {
  return "bazel test //tests/e2e:nemesis_test --test_output=streamed --test_timeout=" +
         std::string(c.mode == "long" ? "14400" : "900") + " --test_env=KEEL_E2E_MODE=" +
         c.mode + " --test_env=KEEL_E2E_SEED=" + std::to_string(c.seed) +
         " --test_env=KEEL_E2E_FAULTS=" + std::to_string(c.faults);
}

// Every acknowledged create or delete of a name that no later operation could have undone
// is reflected in the final list.
std::vector<std::string> CheckAcknowledgedInFinalImage(const std::vector<Operation>& history,
                                                       const std::set<std::string>& final_names) {
  std::vector<std::string> errors;
  for (const Operation& op : history) {
    if ((op.type != OpType::kCreate && op.type != OpType::kDelete) || op.outcome != Outcome::kOk) {
      continue;
    }
    // Another create/delete of the name that did not finish before this one began (and may
    // have taken effect) could be linearized after it.
    bool superseded = false;
    for (const Operation& other : history) {
      if (other.id == op.id || other.key != op.key || other.outcome == Outcome::kFail ||
          (other.type != OpType::kCreate && other.type != OpType::kDelete)) {
        continue;
      }
      if (other.outcome != Outcome::kOk || other.complete_ns >= op.invoke_ns) superseded = true;
    }
    if (superseded) continue;
    const bool present = final_names.count(op.key) > 0;
    if (op.type == OpType::kCreate && !present) {
      errors.push_back("acknowledged create(" + op.key + ") (op #" + std::to_string(op.id) +
                       ") is missing from the final image");
    }
    if (op.type == OpType::kDelete && present) {
      errors.push_back("acknowledged delete(" + op.key + ") (op #" + std::to_string(op.id) +
                       ") is undone in the final image");
    }
  }
  return errors;
}

TEST(Nemesis, FaultsWhileClientsRunKeepEveryGuarantee) {
  const RunConfig config = ConfigFromEnv();
  const auto test_start = std::chrono::steady_clock::now();
  std::fprintf(stderr, "nemesis: mode=%s seed=%llu faults=%lld\nreplay: %s\n",
               config.mode.c_str(), static_cast<unsigned long long>(config.seed),
               static_cast<long long>(config.faults), ReplayCommand(config).c_str());

  Cluster cluster(ClusterOptions{});
  ASSERT_TRUE(cluster.StartAll());
  ASSERT_GT(WaitForControllerLeader(&cluster, seconds(30)), 0);
  ASSERT_TRUE(WaitBrokersUnfenced(&cluster, seconds(30)));
  MetadataClient setup(cluster.ControllerAddresses());
  ASSERT_TRUE(setup.CreateTopicForSetup(kDataTopic, kDataPartitions, 3,
                                        {{"min.insync.replicas", "2"}}, seconds(20)));
  ASSERT_TRUE(WaitForIsr(&cluster, kDataTopic, 3, seconds(30)));

  History history;
  LeaderEpochs epochs;
  std::atomic<bool> stop_clients{false};
  std::atomic<bool> stop_poller{false};
  std::vector<std::thread> threads;

  // Election safety: poll every controller's view of (epoch, leader).
  std::thread poller([&] {
    std::vector<std::unique_ptr<controller::QuorumService::Stub>> stubs;
    for (const auto& a : cluster.ControllerAddresses()) {
      stubs.push_back(controller::QuorumService::NewStub(
          grpc::CreateChannel(a, grpc::InsecureChannelCredentials())));
    }
    while (!stop_poller) {
      for (size_t i = 0; i < stubs.size(); ++i) {
        controller::DescribeQuorumResponse r;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + milliseconds(300));
        if (stubs[i]->DescribeQuorum(&context, controller::DescribeQuorumRequest(), &r).ok() &&
            r.leader_id() > 0) {
          epochs.Observe(r.leader_epoch(), r.leader_id(),
                         "DescribeQuorum@c" + std::to_string(i + 1));
        }
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
  });

  // Metadata clients: create, delete and list a small shared set of names.
  for (int c = 0; c < kMetadataClients; ++c) {
    threads.emplace_back([&, c] {
      MetadataClient client(cluster.ControllerAddresses());
      std::mt19937_64 rng(config.seed * 31 + static_cast<uint64_t>(c));
      while (!stop_clients) {
        const std::string name = kChurnPrefix + std::to_string(rng() % kChurnNames);
        const uint64_t k = rng() % 100;
        if (k < 40) {
          client.CreateTopic(&history, c, name, 1, 2);
        } else if (k < 70) {
          client.DeleteTopic(&history, c, name);
        } else {
          client.ListTopics(&history, c, kChurnPrefix);
        }
        std::this_thread::sleep_for(milliseconds(20 + static_cast<int64_t>(rng() % 80)));
      }
    });
  }
  // Producers: one per partition, acks=all, unique values, never retried.
  std::vector<std::atomic<int64_t>> acked_after_heal(kDataPartitions);
  std::atomic<bool> healed{false};
  for (int p = 0; p < kDataPartitions; ++p) {
    threads.emplace_back([&, p] {
      RecordClient client(cluster.ControllerAddresses());
      std::mt19937_64 rng(config.seed * 131 + static_cast<uint64_t>(p));
      const int id = 100 + p;
      int64_t seq = 0;
      while (!stop_clients) {
        std::vector<std::string> values;
        const int n = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < n; ++i) {
          values.push_back("p" + std::to_string(p) + "-" + std::to_string(seq++));
        }
        const Outcome outcome = client.Produce(&history, id, kDataTopic, p, values);
        if (healed && outcome == Outcome::kOk) ++acked_after_heal[p];
        std::this_thread::sleep_for(milliseconds(10 + static_cast<int64_t>(rng() % 40)));
      }
    });
  }
  // A consumer reading every partition from the start.
  threads.emplace_back([&] {
    RecordClient client(cluster.ControllerAddresses());
    std::vector<int64_t> offsets(kDataPartitions, 0);
    int p = 0;
    while (!stop_clients) {
      client.Fetch(&history, 200, kDataTopic, p, &offsets[static_cast<size_t>(p)]);
      p = (p + 1) % kDataPartitions;
      std::this_thread::sleep_for(milliseconds(30));
    }
  });

  NemesisOptions nemesis_options;
  nemesis_options.seed = config.seed;
  nemesis_options.max_faults = config.faults;
  nemesis_options.max_duration_ms = config.max_nemesis_ms;
  Nemesis nemesis(&cluster, nemesis_options, [&cluster](Node& node) {
    if (node.role() == Node::Role::kController) return ControllerKnowsLeader(&cluster, node.id());
    return BrokersUnfenced(&cluster, node.id());
  });
  nemesis.StartWatcher();
  const auto nemesis_start = std::chrono::steady_clock::now();
  nemesis.Run();
  const double nemesis_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - nemesis_start).count();

  // Final heal: everything up, a leader, every broker unfenced, full ISRs.
  nemesis.Heal();
  EXPECT_GT(WaitForControllerLeader(&cluster, seconds(30)), 0) << "no controller leader after heal";
  EXPECT_TRUE(WaitBrokersUnfenced(&cluster, seconds(30))) << "brokers not unfenced after heal";
  EXPECT_TRUE(WaitForIsr(&cluster, kDataTopic, 3, seconds(30))) << "ISR not whole after heal";
  healed = true;
  // Liveness after heal: every producer gets an acknowledgement again.
  const auto live_deadline = std::chrono::steady_clock::now() + seconds(30);
  while (std::chrono::steady_clock::now() < live_deadline) {
    bool all = true;
    for (auto& a : acked_after_heal) all = all && a.load() > 0;
    if (all) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  for (int p = 0; p < kDataPartitions; ++p) {
    EXPECT_GT(acked_after_heal[p].load(), 0) << "partition " << p << " accepts no acks=all write after heal";
  }
  stop_clients = true;
  for (auto& t : threads) t.join();

  // The final image, read as one more list operation once every write has settled (a write
  // that timed out may still commit within the controller's 10 s write deadline).
  std::this_thread::sleep_for(seconds(2));
  MetadataClient final_client(cluster.ControllerAddresses());
  final_client.ListTopics(&history, 99, kChurnPrefix);
  const std::vector<Operation> ops = history.Snapshot();
  ASSERT_EQ(ops.back().outcome, Outcome::kOk) << "final list failed: " << ops.back().error;
  const std::set<std::string> final_names(ops.back().values.begin(), ops.back().values.end());

  std::vector<std::string> failures;
  auto fail = [&](const std::string& checker, const std::string& what) {
    failures.push_back("[" + checker + "] " + what);
  };

  // 1. Acknowledged metadata changes are in the final image.
  for (const auto& e : CheckAcknowledgedInFinalImage(ops, final_names)) fail("final-image", e);

  // 2. The metadata history is linearizable.
  const auto lin_start = std::chrono::steady_clock::now();
  LinearizabilityResult lin = CheckTopicSetHistory(TopicSetOpsFromHistory(ops));
  const double lin_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - lin_start).count();
  if (!lin.linearizable) {
    fail("linearizability", (lin.inconclusive ? "inconclusive: " : "not linearizable: ") +
                                lin.explanation);
  }

  // 3. acks=all records: exactly once, in order; consumers saw only committed data.
  RecordClient reader(cluster.ControllerAddresses());
  std::map<std::string, std::vector<std::string>> logs;
  std::map<std::string, int64_t> high_watermarks;
  for (int p = 0; p < kDataPartitions; ++p) {
    const std::string key = std::string(kDataTopic) + "-" + std::to_string(p);
    int64_t hw = -1;
    if (!reader.ReadAll(kDataTopic, p, &logs[key], &hw, seconds(30))) {
      fail("records", "cannot read " + key + " to its high watermark");
    }
    high_watermarks[key] = hw;
  }
  RecordCheckResult records = CheckRecords(ops, logs);
  for (const auto& e : records.errors) fail("records", e);

  // 4. At most one controller leader per epoch.
  stop_poller = true;
  poller.join();
  int elections_logged = 0;
  for (int id : cluster.controller_ids()) {
    elections_logged += epochs.ObserveLog(cluster.controller(id).log_path(),
                                          "log of c" + std::to_string(id));
  }
  for (const auto& v : epochs.Violations()) fail("leader-per-epoch", v);

  // 5. No process died except by injection (checked before the checkers stop anything).
  nemesis.StopWatcher();
  for (const auto& node : cluster.nodes()) {
    if (!node->Running()) fail("process-deaths", node->name() + " is not running at the end");
  }
  for (const auto& a : nemesis.Anomalies()) fail("process-deaths", a);

  // 6. Replica logs converge: with full ISRs and no writes, every replica holds exactly the
  //    leader's records up to the high watermark.
  EXPECT_TRUE(WaitForIsr(&cluster, kDataTopic, 3, seconds(30)));
  std::this_thread::sleep_for(seconds(2));
  for (int p = 0; p < kDataPartitions; ++p) {
    const std::string key = std::string(kDataTopic) + "-" + std::to_string(p);
    int64_t hw = -1;
    if (reader.ReadAll(kDataTopic, p, &logs[key], &hw, seconds(30))) high_watermarks[key] = hw;
  }
  for (int id : cluster.broker_ids()) cluster.broker(id).Kill();
  for (int id : cluster.broker_ids()) {
    for (int p = 0; p < kDataPartitions; ++p) {
      const std::string key = std::string(kDataTopic) + "-" + std::to_string(p);
      auto replica = ReadReplicaFromDisk(cluster.broker(id).data_dir() + "/" + key);
      if (!replica.ok()) {
        fail("replica-convergence", "b" + std::to_string(id) + " " + key + ": " +
                                        replica.status().ToString());
        continue;
      }
      const auto& leader_view = logs[key];
      if (replica->size() < leader_view.size()) {
        fail("replica-convergence", "b" + std::to_string(id) + " " + key + " holds " +
                                        std::to_string(replica->size()) +
                                        " records, fewer than the high watermark " +
                                        std::to_string(leader_view.size()));
        continue;
      }
      for (size_t i = 0; i < leader_view.size(); ++i) {
        if ((*replica)[i] != leader_view[i]) {
          fail("replica-convergence", "b" + std::to_string(id) + " " + key + " differs at offset " +
                                          std::to_string(i) + ": " + (*replica)[i] + " vs " +
                                          leader_view[i]);
          break;
        }
      }
    }
  }
  cluster.KillAll();

  // Report.
  const double total_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - test_start).count();
  std::fprintf(stderr, "\n==== nemesis report (mode=%s seed=%llu) ====\n", config.mode.c_str(),
               static_cast<unsigned long long>(config.seed));
  std::fprintf(stderr, "faults injected: %lld in %.1f s (test total %.1f s)\n",
               static_cast<long long>(nemesis.total_faults()), nemesis_s, total_s);
  for (const auto& [kind, count] : nemesis.Counts()) {
    std::fprintf(stderr, "  %-22s %lld\n", kind.c_str(), static_cast<long long>(count));
  }
  std::fprintf(stderr, "operations: %s\n", history.Summary().c_str());
  std::fprintf(stderr,
               "records: %lld acknowledged values, %lld of unknown outcome (%lld present), "
               "%lld fetched records checked\n",
               static_cast<long long>(records.acked_values),
               static_cast<long long>(records.unknown_values),
               static_cast<long long>(records.unknown_values_present),
               static_cast<long long>(records.fetched_records));
  for (const auto& [key, hw] : high_watermarks) {
    std::fprintf(stderr, "  %s high watermark %lld\n", key.c_str(), static_cast<long long>(hw));
  }
  std::fprintf(stderr, "linearizability: %zu metadata ops, %s in %lld steps (%.2f s)\n",
               TopicSetOpsFromHistory(ops).size(),
               lin.linearizable ? "linearizable" : "NOT linearizable",
               static_cast<long long>(lin.steps), lin_s);
  std::fprintf(stderr, "final image: {");
  for (const auto& n : final_names) std::fprintf(stderr, " %s", n.c_str());
  std::fprintf(stderr, " }\n");
  std::fprintf(stderr, "leader epochs: %lld epochs, %lld observations, %d elections logged\n",
               static_cast<long long>(epochs.epochs()),
               static_cast<long long>(epochs.observations()), elections_logged);
  for (const auto& w : nemesis.Warnings()) std::fprintf(stderr, "warning: %s\n", w.c_str());

  if (config.mode == "short") {
    EXPECT_GE(nemesis.total_faults(), 100) << "short mode must inject at least 100 faults";
    EXPECT_LT(total_s, 300.0) << "short mode must finish within 5 minutes";
  } else if (config.mode == "long") {
    EXPECT_GE(nemesis.total_faults(), 1000) << "long mode must inject at least 1,000 faults";
  }
  if (!failures.empty()) {
    std::fprintf(stderr, "\nfault timeline:\n");
    for (const auto& line : nemesis.Timeline()) std::fprintf(stderr, "  %s\n", line.c_str());
    std::fprintf(stderr, "logs under %s\n", cluster.root().c_str());
  }
  for (const auto& f : failures) ADD_FAILURE() << f;
  if (!failures.empty() || ::testing::Test::HasFailure()) {
    std::fprintf(stderr, "FAILED seed=%llu; replay: %s\n",
                 static_cast<unsigned long long>(config.seed), ReplayCommand(config).c_str());
  }
}

}  // namespace
}  // namespace keel::e2e
