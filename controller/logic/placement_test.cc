#include "controller/logic/placement.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace keel::controller {
namespace {

std::vector<PlacementBroker> Brokers(int n, std::vector<std::string> racks = {}) {
  std::vector<PlacementBroker> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({100 + i, racks.empty() ? "" : racks[i % racks.size()]});
  }
  return out;
}

TEST(PlaceReplicas, DistinctReplicasAndEvenLeadersAndReplicas) {
  for (int n : {1, 2, 3, 5, 6}) {
    for (int rf = 1; rf <= std::min(n, 3); ++rf) {
      for (uint64_t random : {0ULL, 1ULL, 77ULL, ~0ULL}) {
        const int count = n * (n > 1 ? n - 1 : 1) * 2;
        auto placement = PlaceReplicas(Brokers(n), 0, count, rf, random);
        ASSERT_EQ(placement.size(), static_cast<size_t>(count));
        std::map<int32_t, int> leaders, replicas;
        for (const auto& r : placement) {
          ASSERT_EQ(r.size(), static_cast<size_t>(rf));
          EXPECT_EQ(std::set<int32_t>(r.begin(), r.end()).size(), r.size());
          ++leaders[r[0]];
          for (int32_t id : r) ++replicas[id];
        }
        ASSERT_EQ(leaders.size(), static_cast<size_t>(n));
        for (const auto& [id, k] : leaders) EXPECT_EQ(k, count / n) << "n=" << n;
        for (const auto& [id, k] : replicas) EXPECT_EQ(k, count * rf / n) << "n=" << n;
      }
    }
  }
}

TEST(PlaceReplicas, FollowerSetsVaryAcrossRoundsAndRandomnessMovesTheStart) {
  auto placement = PlaceReplicas(Brokers(4), 0, 8, 2, 5);
  // Partitions p and p+4 share a leader but not their follower: the walk shifted.
  for (int p = 0; p < 4; ++p) {
    EXPECT_EQ(placement[p][0], placement[p + 4][0]);
    EXPECT_NE(placement[p][1], placement[p + 4][1]);
  }
  std::set<int32_t> first_leaders;
  for (uint64_t random = 0; random < 32; ++random) {
    first_leaders.insert(PlaceReplicas(Brokers(4), 0, 1, 1, random)[0][0]);
  }
  EXPECT_EQ(first_leaders.size(), 4u);
  // Deterministic for the same inputs.
  EXPECT_EQ(PlaceReplicas(Brokers(5), 3, 7, 3, 9), PlaceReplicas(Brokers(5), 3, 7, 3, 9));
}

TEST(PlaceReplicas, NewPartitionsContinueTheRotation) {
  // Placing 0..9 at once equals placing 0..3 and then 4..9.
  auto all = PlaceReplicas(Brokers(3), 0, 10, 2, 11);
  auto head = PlaceReplicas(Brokers(3), 0, 4, 2, 11);
  auto tail = PlaceReplicas(Brokers(3), 4, 6, 2, 11);
  head.insert(head.end(), tail.begin(), tail.end());
  EXPECT_EQ(all, head);
}

TEST(PlaceReplicas, RackAwareCoversRacksBeforeRepeatingOne) {
  // Six brokers in three racks (a, b, c), listed so that ids alone would cluster racks.
  std::vector<PlacementBroker> brokers = {{1, "a"}, {2, "a"}, {3, "b"},
                                          {4, "b"}, {5, "c"}, {6, "c"}};
  std::map<std::string, std::string> rack_of;
  for (const auto& b : brokers) rack_of[std::to_string(b.id)] = b.rack;
  for (uint64_t random = 0; random < 6; ++random) {
    for (int rf : {2, 3, 4}) {
      for (const auto& r : PlaceReplicas(brokers, 0, 12, rf, random)) {
        std::map<std::string, int> per_rack;
        for (int32_t id : r) ++per_rack[rack_of[std::to_string(id)]];
        EXPECT_EQ(per_rack.size(), static_cast<size_t>(std::min(rf, 3)));
        for (const auto& [rack, k] : per_rack) EXPECT_LE(k, (rf + 2) / 3);
      }
    }
  }
  // A broker without a rack turns rack awareness off rather than failing.
  brokers.push_back({7, ""});
  EXPECT_EQ(PlaceReplicas(brokers, 0, 7, 3, 1).size(), 7u);
}

TEST(ElectLeader, PrefersThePreferredReplicaAndNeverLeavesTheIsr) {
  metadata::MetadataImage image;
  for (int32_t id = 1; id <= 4; ++id) {
    metadata::MetadataRecord r;
    r.mutable_register_broker()->set_broker_id(id);
    r.mutable_register_broker()->set_fenced(id == 3);  // broker 3 fenced
    ASSERT_TRUE(image.Apply(r, id).ok());
  }
  metadata::MetadataRecord shutdown;
  shutdown.mutable_broker_registration_change()->set_broker_id(4);
  shutdown.mutable_broker_registration_change()->set_broker_epoch(4);
  shutdown.mutable_broker_registration_change()->set_controlled_shutdown(
      metadata::CONTROLLED_SHUTDOWN_REQUESTED);
  ASSERT_TRUE(image.Apply(shutdown, 5).ok());

  metadata::PartitionInfo p{{2, 1, 3, 4}, {1, 2, 3, 4}, 1, 0, 0};
  EXPECT_EQ(ElectLeader(p, image), 2);  // replica order, not ISR order
  EXPECT_EQ(ElectLeader(p, image, /*excluded=*/2), 1);
  p.isr = {3, 4, 1};
  EXPECT_EQ(ElectLeader(p, image), 1);  // 3 is fenced, 4 is shutting down
  p.isr = {3, 4};
  EXPECT_EQ(ElectLeader(p, image), metadata::kNoLeader);  // 2 is usable but outside the ISR
  p = {{9, 2}, {9, 2}, 9, 0, 0};
  EXPECT_EQ(ElectLeader(p, image), 2);  // 9 is not registered
  EXPECT_EQ(PlacementBrokers(image).size(), 2u);
}

}  // namespace
}  // namespace keel::controller
