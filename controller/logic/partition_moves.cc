#include "controller/logic/partition_moves.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "controller/logic/placement.h"

namespace keel::controller {
namespace {

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// The partitions to touch, collected first: adding records replaces the proposal's image.
std::vector<std::pair<std::string, int32_t>> PartitionsWhere(
    const metadata::MetadataImage& image, bool (*pred)(const metadata::PartitionInfo&, int32_t),
    int32_t broker) {
  std::vector<std::pair<std::string, int32_t>> out;
  for (const auto& [id, topic] : image.topics_by_id()) {
    for (const auto& [p, info] : topic.partitions) {
      if (pred(info, broker)) out.emplace_back(id, p);
    }
  }
  return out;
}

}  // namespace

absl::Status MoveAwayFrom(int32_t broker, Proposal& proposal) {
  auto involved = [](const metadata::PartitionInfo& p, int32_t b) {
    return p.leader == b || Contains(p.isr, b);
  };
  for (const auto& [topic_id, partition] : PartitionsWhere(proposal.image(), involved, broker)) {
    const metadata::PartitionInfo& info = *proposal.image().Partition(topic_id, partition);
    metadata::PartitionInfo next = info;
    if (next.isr.size() > 1) {
      next.isr.erase(std::remove(next.isr.begin(), next.isr.end(), broker), next.isr.end());
    }
    if (next.leader == broker) next.leader = ElectLeader(next, proposal.image(), broker);
    if (next.leader == metadata::kNoLeader && info.leader == broker &&
        UncleanElectionAllowed(*proposal.image().TopicById(topic_id))) {
      next.leader = ElectUncleanLeader(next, proposal.image(), broker);
      if (next.leader != metadata::kNoLeader) next.isr = {next.leader};
    }
    if (next.isr == info.isr && next.leader == info.leader) continue;
    metadata::MetadataRecord record;
    auto* change = record.mutable_partition_change();
    change->set_topic_id(topic_id);
    change->set_partition_id(partition);
    if (next.leader != info.leader) change->set_leader(next.leader);
    if (next.isr != info.isr) {
      for (int32_t id : next.isr) change->mutable_isr()->add_ids(id);
    }
    if (absl::Status s = proposal.Add(std::move(record)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ElectOfflineLeaders(int32_t broker, Proposal& proposal) {
  auto offline_with = [](const metadata::PartitionInfo& p, int32_t b) {
    return p.leader == metadata::kNoLeader && Contains(p.replicas, b);
  };
  for (const auto& [topic_id, partition] :
       PartitionsWhere(proposal.image(), offline_with, broker)) {
    const metadata::PartitionInfo& info = *proposal.image().Partition(topic_id, partition);
    int32_t leader = ElectLeader(info, proposal.image());
    bool unclean = false;
    if (leader == metadata::kNoLeader &&
        UncleanElectionAllowed(*proposal.image().TopicById(topic_id))) {
      leader = ElectUncleanLeader(info, proposal.image());
      unclean = leader != metadata::kNoLeader;
    }
    if (leader == metadata::kNoLeader) continue;
    metadata::MetadataRecord record;
    auto* change = record.mutable_partition_change();
    change->set_topic_id(topic_id);
    change->set_partition_id(partition);
    change->set_leader(leader);
    if (unclean) change->mutable_isr()->add_ids(leader);
    if (absl::Status s = proposal.Add(std::move(record)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

bool LeadsAnyPartition(const metadata::MetadataImage& image, int32_t broker) {
  for (const auto& [id, topic] : image.topics_by_id()) {
    for (const auto& [p, info] : topic.partitions) {
      if (info.leader == broker) return true;
    }
  }
  return false;
}

}  // namespace keel::controller
