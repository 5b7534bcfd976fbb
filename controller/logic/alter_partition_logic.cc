// ControllerLogic::AlterPartition: ISR changes requested by partition leaders.
#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/proposal.h"

namespace keel::controller {
namespace {

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::optional<ApiError> CheckNewIsr(const metadata::MetadataImage& image,
                                    const metadata::PartitionInfo& p,
                                    const std::vector<int32_t>& isr) {
  auto invalid = [&](const std::string& why) {
    return ApiError{INVALID_REQUEST,
                    absl::StrCat("Invalid new ISR [", absl::StrJoin(isr, ","), "]: ", why)};
  };
  if (!Contains(isr, p.leader)) return invalid("it must contain the leader.");
  if (std::set<int32_t>(isr.begin(), isr.end()).size() != isr.size()) {
    return invalid("it repeats a broker.");
  }
  for (int32_t id : isr) {
    if (!Contains(p.replicas, id)) {
      return invalid(absl::StrCat("broker ", id, " is not a replica."));
    }
    const metadata::BrokerInfo* member = image.Broker(id);
    if (member == nullptr) return invalid(absl::StrCat("broker ", id, " is not registered."));
    if (member->fenced) return invalid(absl::StrCat("broker ", id, " is fenced."));
    if (member->in_controlled_shutdown) {
      return invalid(absl::StrCat("broker ", id, " is in controlled shutdown."));
    }
  }
  return std::nullopt;
}

}  // namespace

Outcome<AlterPartitionOutcome> ControllerLogic::AlterPartition(
    const metadata::MetadataImage& image, const AlterPartitionRequest& request) {
  const metadata::BrokerInfo* b = image.Broker(request.broker_id());
  if (b == nullptr || b->epoch != request.broker_epoch()) {
    return ApiError{STALE_BROKER_EPOCH,
                    absl::StrCat("Broker ", request.broker_id(), " epoch ", request.broker_epoch(),
                                 " is not its current registration.")};
  }
  const metadata::TopicInfo* t = image.TopicById(request.topic_id());
  if (t == nullptr) {
    return ApiError{
        UNKNOWN_TOPIC_ID,
        absl::StrCat("Topic id ", absl::BytesToHexString(request.topic_id()), " does not exist.")};
  }
  auto pit = t->partitions.find(request.partition());
  if (pit == t->partitions.end()) {
    return ApiError{
        UNKNOWN_TOPIC_OR_PARTITION,
        absl::StrCat("Partition ", t->name, "-", request.partition(), " does not exist.")};
  }
  const metadata::PartitionInfo& p = pit->second;
  if (request.leader_epoch() != p.leader_epoch) {
    return ApiError{FENCED_LEADER_EPOCH,
                    absl::StrCat("Leader epoch ", request.leader_epoch(), " of ", t->name, "-",
                                 request.partition(), " is not the current ", p.leader_epoch, ".")};
  }
  if (p.leader != request.broker_id()) {
    return ApiError{NOT_LEADER_OR_FOLLOWER,
                    absl::StrCat("Broker ", request.broker_id(), " is not the leader of ", t->name,
                                 "-", request.partition(), " (", p.leader, ").")};
  }
  if (request.partition_epoch() != p.partition_epoch) {
    return ApiError{
        INVALID_UPDATE_VERSION,
        absl::StrCat("Partition epoch ", request.partition_epoch(), " of ", t->name, "-",
                     request.partition(), " is not the current ", p.partition_epoch, ".")};
  }
  const std::vector<int32_t> isr(request.new_isr().begin(), request.new_isr().end());
  if (auto error = CheckNewIsr(image, p, isr)) return *error;

  AlterPartitionOutcome out;
  if (isr == p.isr) {
    // The leader asked for the ISR it has: no record, so no new partition epoch.
    out.partition = metadata::DescribePartition(request.partition(), p);
    return out;
  }
  Proposal proposal(image);
  metadata::MetadataRecord record;
  auto* change = record.mutable_partition_change();
  change->set_topic_id(t->id);
  change->set_partition_id(request.partition());
  for (int32_t id : isr) change->mutable_isr()->add_ids(id);
  if (absl::Status s = proposal.Add(std::move(record)); !s.ok()) {
    return ApiError{UNKNOWN_SERVER_ERROR, std::string(s.message())};
  }
  out.partition = metadata::DescribePartition(
      request.partition(), *proposal.image().Partition(t->id, request.partition()));
  out.records = proposal.TakeBatch();
  return out;
}

}  // namespace keel::controller
