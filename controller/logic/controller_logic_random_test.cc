// Seeded random operations through ControllerLogic, LogCabin style: after every committed
// batch the image's invariants are checked; at the end another node replaying the log and
// a restart from the materialized entities must both reach an equal image. A failing seed
// is printed and replays exactly.
#include <gtest/gtest.h>

#include <iostream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/test_cluster.h"

namespace keel::controller {
namespace {

using testing::CheckInvariants;
using testing::TestCluster;

constexpr int kSeeds = 30;
constexpr int kStepsPerSeed = 250;
constexpr int32_t kMaxBrokerId = 5;

class RandomDriver {
 public:
  explicit RandomDriver(uint64_t seed) : rng_(seed), c_(3) {}

  void Step() {
    switch (Uniform(0, 9)) {
      case 0:
        CreateTopic();
        break;
      case 1:
        DeleteTopic();
        break;
      case 2:
        CreatePartitions();
        break;
      case 3:
        Register();
        break;
      case 4:
      case 5:
        Heartbeat();
        break;
      case 6:
        Expire();
        break;
      case 7:
      case 8:
        AlterPartition();
        break;
      default:
        AlterConfigs();
        break;
    }
  }

  TestCluster& cluster() { return c_; }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string TopicName() { return absl::StrCat(Uniform(0, 1) ? "t." : "t_", Uniform(0, 4)); }

  std::string AnyTopic() {
    const auto& names = c_.image.topic_ids_by_name();
    if (names.empty()) return "none";
    auto it = names.begin();
    std::advance(it, Uniform(0, static_cast<int>(names.size()) - 1));
    return it->first;
  }

  void CreateTopic() { c_.CreateTopic(TopicName(), Uniform(0, 4), Uniform(0, 3)); }

  void DeleteTopic() {
    DeleteTopicsRequest req;
    req.add_names(AnyTopic());
    c_.Commit(ControllerLogic::DeleteTopics(c_.image, req).records);
  }

  void CreatePartitions() {
    CreatePartitionsRequest req;
    req.set_topic(AnyTopic());
    req.set_new_total_count(Uniform(0, 6));
    c_.Commit(ControllerLogic::CreatePartitions(c_.image, req, rng_()).records);
  }

  void Register() {
    RegisterBrokerRequest req;
    req.set_broker_id(Uniform(1, kMaxBrokerId));
    req.set_incarnation_id(absl::StrCat("inc-", rng_()));
    req.set_rack(absl::StrCat("rack-", Uniform(0, 1)));
    auto out = ControllerLogic::RegisterBroker(c_.image, c_.heartbeats, req, c_.now_ms);
    if (out.ok()) c_.Commit(out->records);
  }

  void Heartbeat() {
    const int32_t id = Uniform(1, kMaxBrokerId);
    if (c_.image.Broker(id) == nullptr) return;
    BrokerHeartbeatRequest hb;
    hb.set_broker_id(id);
    hb.set_broker_epoch(Uniform(0, 9) == 0 ? 12345 : c_.image.Broker(id)->epoch);
    hb.set_current_metadata_offset(c_.image.applied_offset() - Uniform(0, 1));
    hb.set_want_fence(Uniform(0, 9) == 0);
    hb.set_want_shutdown(Uniform(0, 14) == 0);
    c_.Commit(ControllerLogic::BrokerHeartbeat(c_.image, c_.heartbeats, hb, c_.now_ms).records);
  }

  void Expire() {
    c_.now_ms += Uniform(500, 6000);
    c_.Commit(ControllerLogic::FenceExpiredBrokers(c_.image, c_.heartbeats, c_.now_ms));
  }

  void AlterPartition() {
    const metadata::TopicInfo* t = c_.image.TopicByName(AnyTopic());
    if (t == nullptr || t->partitions.empty()) return;
    auto it = t->partitions.begin();
    std::advance(it, Uniform(0, static_cast<int>(t->partitions.size()) - 1));
    const metadata::PartitionInfo& p = it->second;
    if (p.leader == metadata::kNoLeader) return;
    AlterPartitionRequest req;
    req.set_broker_id(p.leader);
    req.set_broker_epoch(c_.image.Broker(p.leader)->epoch);
    req.set_topic_id(t->id);
    req.set_partition(it->first);
    req.set_leader_epoch(p.leader_epoch - Uniform(0, 5) / 5);
    req.set_partition_epoch(p.partition_epoch);
    req.add_new_isr(p.leader);
    for (int32_t r : p.replicas) {
      if (r != p.leader && Uniform(0, 1)) req.add_new_isr(r);
    }
    auto out = ControllerLogic::AlterPartition(c_.image, req);
    if (out.ok()) c_.Commit(out->records);
  }

  void AlterConfigs() {
    AlterConfigsRequest req;
    req.set_topic(AnyTopic());
    if (Uniform(0, 1)) {
      (*req.mutable_set())["retention.ms"] = std::to_string(Uniform(-2, 100));
    } else {
      req.add_delete_("retention.ms");
    }
    c_.Commit(ControllerLogic::AlterConfigs(c_.image, req).records);
  }

  std::mt19937_64 rng_;
  TestCluster c_;
};

// How often each kind of change was committed over all seeds: the run must have exercised
// every path it claims to check.
struct Coverage {
  int topics = 0, removals = 0, isr_changes = 0, leader_changes = 0, fences = 0, unfences = 0,
      shutdowns = 0, registrations = 0, configs = 0;

  void Count(const metadata::MetadataRecordBatch& batch) {
    for (const auto& r : batch.records()) {
      topics += r.has_topic();
      removals += r.has_remove_topic();
      registrations += r.has_register_broker();
      configs += r.has_config();
      if (r.has_partition_change()) {
        isr_changes += r.partition_change().has_isr();
        leader_changes += r.partition_change().has_leader();
      }
      if (r.has_broker_registration_change()) {
        const auto& c = r.broker_registration_change();
        fences += c.fencing() == metadata::FENCE;
        unfences += c.fencing() == metadata::UNFENCE;
        shutdowns += c.controlled_shutdown() == metadata::CONTROLLED_SHUTDOWN_REQUESTED;
      }
    }
  }
};

TEST(ControllerLogicRandom, InvariantsHoldAndEveryNodeReachesTheSameImage) {
  Coverage coverage;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed ", seed));
    RandomDriver driver(seed);
    TestCluster& c = driver.cluster();
    for (int step = 0; step < kStepsPerSeed; ++step) {
      driver.Step();
      if (::testing::Test::HasFatalFailure()) return;
      std::vector<std::string> violations = CheckInvariants(c.image);
      ASSERT_TRUE(violations.empty())
          << "step " << step << ":\n  " << absl::StrJoin(violations, "\n  ");
    }
    for (const auto& [offset, batch] : c.log) coverage.Count(batch);
    // Another node applying the same log ends with an equal image.
    metadata::MetadataImage replica;
    for (const auto& [offset, batch] : c.log) ASSERT_TRUE(replica.ApplyBatch(batch, offset).ok());
    EXPECT_TRUE(replica == c.image);
    // A restart from the materialized entities (the last record under each key) too.
    std::map<std::string, std::optional<metadata::MetadataRecord>> stored;
    for (const auto& change : c.changes.changes) stored[change.key] = change.record;
    std::vector<metadata::MetadataRecord> records;
    for (const auto& [key, record] : stored) {
      if (record) records.push_back(*record);
    }
    auto restarted = metadata::MetadataImage::FromRecords(records, c.image.applied_offset());
    ASSERT_TRUE(restarted.ok()) << restarted.status();
    EXPECT_TRUE(*restarted == c.image);
  }
  EXPECT_GT(coverage.topics, 100);
  EXPECT_GT(coverage.removals, 20);
  EXPECT_GT(coverage.isr_changes, 100);
  EXPECT_GT(coverage.leader_changes, 100);
  EXPECT_GT(coverage.fences, 20);
  EXPECT_GT(coverage.unfences, 20);
  EXPECT_GT(coverage.shutdowns, 5);
  EXPECT_GT(coverage.registrations, 100);
  EXPECT_GT(coverage.configs, 20);
  std::cout << "committed: " << coverage.topics << " topics, " << coverage.removals << " removals, "
            << coverage.isr_changes << " ISR changes, " << coverage.leader_changes
            << " leader changes, " << coverage.fences << " fences, " << coverage.unfences
            << " unfences, " << coverage.shutdowns << " shutdowns, " << coverage.registrations
            << " registrations, " << coverage.configs << " configs\n";
}

}  // namespace
}  // namespace keel::controller
