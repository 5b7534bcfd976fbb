#include "controller/logic/placement.h"

#include <algorithm>
#include <map>
#include <set>

namespace keel::controller {
namespace {

// SplitMix64: spreads one injected random value into independent-looking parts.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Brokers ordered rack by rack in turn (r1-b1, r2-b1, r3-b1, r1-b2, ...), so consecutive
// positions sit in different racks; by id when rack awareness does not apply.
std::vector<PlacementBroker> Arrange(std::vector<PlacementBroker> brokers, bool rack_aware) {
  std::sort(brokers.begin(), brokers.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  if (!rack_aware) return brokers;
  std::map<std::string, std::vector<PlacementBroker>> by_rack;
  for (const auto& b : brokers) by_rack[b.rack].push_back(b);
  std::vector<PlacementBroker> arranged;
  for (size_t round = 0; arranged.size() < brokers.size(); ++round) {
    for (const auto& [rack, members] : by_rack) {
      if (round < members.size()) arranged.push_back(members[round]);
    }
  }
  return arranged;
}

}  // namespace

std::vector<PlacementBroker> PlacementBrokers(const metadata::MetadataImage& image) {
  std::vector<PlacementBroker> out;
  for (const auto& [id, b] : image.brokers()) {
    if (b.usable()) out.push_back({id, b.rack});
  }
  return out;
}

std::vector<std::vector<int32_t>> PlaceReplicas(const std::vector<PlacementBroker>& brokers,
                                                int32_t first_partition, int32_t count,
                                                int replication_factor, uint64_t random) {
  const size_t n = brokers.size();
  std::set<std::string> racks;
  bool every_broker_has_rack = true;
  for (const auto& b : brokers) {
    racks.insert(b.rack);
    every_broker_has_rack &= !b.rack.empty();
  }
  const bool rack_aware = every_broker_has_rack && racks.size() > 1;
  const std::vector<PlacementBroker> arranged = Arrange(brokers, rack_aware);
  const uint64_t start = Mix(random) % n;
  const uint64_t initial_shift = n > 1 ? Mix(random + 1) % (n - 1) : 0;

  std::vector<std::vector<int32_t>> out;
  out.reserve(count);
  for (int32_t i = 0; i < count; ++i) {
    const uint64_t p = static_cast<uint64_t>(first_partition) + i;
    const size_t first = (start + p) % n;
    const uint64_t shift = initial_shift + p / n;
    std::vector<int32_t> replicas = {arranged[first].id};
    std::set<std::string> used_racks = {arranged[first].rack};
    std::vector<bool> taken(n, false);
    taken[first] = true;
    // Followers: a walk over the other n-1 positions starting `shift` after the leader. In
    // the rack-aware first pass a broker is skipped while its rack already holds a replica
    // and some rack still holds none.
    for (int pass = rack_aware ? 0 : 1; pass < 2; ++pass) {
      for (size_t k = 0; k + 1 < n && static_cast<int>(replicas.size()) < replication_factor; ++k) {
        const size_t idx = (first + 1 + (shift + k) % (n - 1)) % n;
        if (taken[idx]) continue;
        if (pass == 0 && used_racks.count(arranged[idx].rack) && used_racks.size() < racks.size()) {
          continue;
        }
        taken[idx] = true;
        used_racks.insert(arranged[idx].rack);
        replicas.push_back(arranged[idx].id);
      }
    }
    out.push_back(std::move(replicas));
  }
  return out;
}

int32_t ElectUncleanLeader(const metadata::PartitionInfo& p, const metadata::MetadataImage& image,
                           int32_t excluded) {
  for (int32_t id : p.replicas) {
    if (id == excluded) continue;
    const metadata::BrokerInfo* b = image.Broker(id);
    if (b != nullptr && b->usable()) return id;
  }
  return metadata::kNoLeader;
}

bool UncleanElectionAllowed(const metadata::TopicInfo& topic) {
  auto it = topic.configs.find("unclean.leader.election.enable");
  return it != topic.configs.end() && it->second == "true";
}

int32_t ElectLeader(const metadata::PartitionInfo& p, const metadata::MetadataImage& image,
                    int32_t excluded) {
  for (int32_t id : p.replicas) {
    if (id == excluded) continue;
    if (std::find(p.isr.begin(), p.isr.end(), id) == p.isr.end()) continue;
    const metadata::BrokerInfo* b = image.Broker(id);
    if (b != nullptr && b->usable()) return id;
  }
  return metadata::kNoLeader;
}

}  // namespace keel::controller
