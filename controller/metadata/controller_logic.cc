#include "controller/metadata/controller_logic.h"

#include <algorithm>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "controller/metadata/placement.h"
#include "controller/metadata/topic_validation.h"

namespace keel::controller {
namespace {

using metadata::MetadataRecord;
using metadata::MetadataRecordBatch;

TopicResult Result(const std::string& name, const std::optional<ApiError>& error) {
  TopicResult r;
  r.set_name(name);
  if (error) {
    r.set_error(error->code);
    r.set_error_message(FormatApiError(*error));
  }
  return r;
}

bool Contains(const std::vector<int32_t>& v, int32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void AddPartitions(const std::string& topic_id, int first, const std::vector<std::vector<int32_t>>& placement,
                   MetadataRecordBatch* batch) {
  for (size_t i = 0; i < placement.size(); ++i) {
    auto* p = batch->add_records()->mutable_partition();
    p->set_topic_id(topic_id);
    p->set_partition_id(first + static_cast<int>(i));
    for (int32_t id : placement[i]) {
      p->add_replicas(id);
      p->add_isr(id);
    }
    p->set_leader(placement[i][0]);
  }
}

// Records that take `broker` out of leadership and ISRs (fencing or controlled shutdown).
void MoveAwayFrom(const MetadataImage& image, int32_t broker, MetadataRecordBatch* batch) {
  for (const auto& [id, topic] : image.topics_by_id()) {
    for (const auto& [p, info] : topic.partitions) {
      bool leads = info.leader == broker;
      bool in_isr = Contains(info.isr, broker);
      if (!leads && !in_isr) continue;
      metadata::PartitionChangeRecord change;
      change.set_topic_id(id);
      change.set_partition_id(p);
      std::vector<int32_t> isr = info.isr;
      if (in_isr && isr.size() > 1) {
        isr.erase(std::remove(isr.begin(), isr.end(), broker), isr.end());
        for (int32_t r : isr) change.mutable_isr()->add_ids(r);
      }
      if (leads) {
        PartitionInfo shrunk = info;
        shrunk.isr = isr;
        // The last ISR member keeps its place but the partition goes offline: electing a
        // replica outside the ISR could lose acknowledged data (no unclean election).
        change.set_leader(ElectLeader(shrunk, image, broker));
      }
      if (!change.has_leader() && !change.has_isr()) continue;
      *batch->add_records()->mutable_partition_change() = std::move(change);
    }
  }
}

}  // namespace

TopicsOutcome ControllerLogic::CreateTopics(const MetadataImage& image,
                                            const CreateTopicsRequest& request, uint64_t random) {
  TopicsOutcome out;
  std::mt19937_64 rng(random);
  std::set<std::string> taken, used_ids;
  for (const auto& [name, id] : image.topic_ids_by_name()) taken.insert(CollisionKey(name));
  const std::vector<int32_t> brokers = image.UsableBrokers();
  for (const CreatableTopic& t : request.topics()) {
    std::optional<ApiError> error = ValidateTopicName(t.name());
    if (!error && image.TopicByName(t.name()) != nullptr) {
      error = ApiError{TOPIC_ALREADY_EXISTS, absl::StrCat("Topic '", t.name(), "' already exists.")};
    }
    if (!error && taken.count(CollisionKey(t.name()))) {
      error = ApiError{INVALID_TOPIC_EXCEPTION,
                       absl::StrCat("Topic '", t.name(), "' collides with an existing topic ",
                                    "(or one in this request) once '.' and '_' are equal.")};
    }
    if (!error && t.num_partitions() < 1) {
      error = ApiError{INVALID_PARTITIONS, "Number of partitions must be larger than 0."};
    }
    if (!error && t.replication_factor() < 1) {
      error = ApiError{INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0."};
    }
    if (!error && t.replication_factor() > static_cast<int>(brokers.size())) {
      error = ApiError{INVALID_REPLICATION_FACTOR,
                       absl::StrCat("Replication factor: ", t.replication_factor(),
                                    " larger than available brokers: ", brokers.size(), ".")};
    }
    if (!error) {
      std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
      error = ValidateTopicConfigs(configs, t.replication_factor());
    }
    TopicResult result = Result(t.name(), error);
    if (!error) {
      std::string id(16, '\0');
      do {  // a topic id is never reused, even if the randomness repeats
        uint64_t a = rng(), b = rng();
        for (int i = 0; i < 8; ++i) {
          id[i] = static_cast<char>(a >> (8 * i));
          id[8 + i] = static_cast<char>(b >> (8 * i));
        }
      } while (image.TopicById(id) != nullptr || used_ids.count(id));
      used_ids.insert(id);
      result.set_topic_id(id);
      if (!request.validate_only()) {
        auto* tr = out.records.add_records()->mutable_topic();
        tr->set_name(t.name());
        tr->set_topic_id(id);
        AddPartitions(id, 0, PlaceReplicas(brokers, 0, t.num_partitions(), t.replication_factor(), rng()),
                      &out.records);
        std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
        for (const auto& [k, v] : configs) {
          auto* c = out.records.add_records()->mutable_config();
          c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
          c->set_resource_name(t.name());
          c->set_name(k);
          c->set_value(v);
        }
      }
      taken.insert(CollisionKey(t.name()));
    }
    out.results.push_back(std::move(result));
  }
  return out;
}

TopicsOutcome ControllerLogic::DeleteTopics(const MetadataImage& image,
                                            const DeleteTopicsRequest& request) {
  TopicsOutcome out;
  std::set<std::string> seen;
  for (const std::string& name : request.names()) {
    const TopicInfo* t = image.TopicByName(name);
    if (t == nullptr || !seen.insert(name).second) {
      out.results.push_back(Result(name, ApiError{UNKNOWN_TOPIC_OR_PARTITION,
                                                  absl::StrCat("Topic '", name, "' does not exist.")}));
      continue;
    }
    out.records.add_records()->mutable_remove_topic()->set_topic_id(t->id);
    TopicResult r = Result(name, std::nullopt);
    r.set_topic_id(t->id);
    out.results.push_back(std::move(r));
  }
  return out;
}

TopicsOutcome ControllerLogic::CreatePartitions(const MetadataImage& image,
                                                const CreatePartitionsRequest& request,
                                                uint64_t random) {
  TopicsOutcome out;
  const TopicInfo* t = image.TopicByName(request.topic());
  std::optional<ApiError> error;
  if (t == nullptr) {
    error = ApiError{UNKNOWN_TOPIC_OR_PARTITION,
                     absl::StrCat("Topic '", request.topic(), "' does not exist.")};
  } else if (request.new_total_count() <= static_cast<int>(t->partitions.size())) {
    error = ApiError{INVALID_PARTITIONS,
                     absl::StrCat("Topic currently has ", t->partitions.size(),
                                  " partitions, which is higher than or equal to the requested ",
                                  request.new_total_count(), ".")};
  }
  const std::vector<int32_t> brokers = image.UsableBrokers();
  int rf = (t == nullptr || t->partitions.empty()) ? 1
                                                    : static_cast<int>(t->partitions.begin()->second.replicas.size());
  if (!error && rf > static_cast<int>(brokers.size())) {
    error = ApiError{INVALID_REPLICATION_FACTOR,
                     absl::StrCat("Replication factor: ", rf, " larger than available brokers: ",
                                  brokers.size(), ".")};
  }
  out.results.push_back(Result(request.topic(), error));
  if (!error) {
    int first = static_cast<int>(t->partitions.size());
    AddPartitions(t->id, first,
                  PlaceReplicas(brokers, first, request.new_total_count() - first, rf, random),
                  &out.records);
  }
  return out;
}

TopicsOutcome ControllerLogic::AlterConfigs(const MetadataImage& image,
                                            const AlterConfigsRequest& request) {
  TopicsOutcome out;
  const TopicInfo* t = image.TopicByName(request.topic());
  std::optional<ApiError> error;
  if (t == nullptr) {
    error = ApiError{UNKNOWN_TOPIC_OR_PARTITION,
                     absl::StrCat("Topic '", request.topic(), "' does not exist.")};
  } else {
    int rf = t->partitions.empty() ? 1 : static_cast<int>(t->partitions.begin()->second.replicas.size());
    std::map<std::string, std::string> set(request.set().begin(), request.set().end());
    error = ValidateTopicConfigs(set, rf);
  }
  out.results.push_back(Result(request.topic(), error));
  if (error) return out;
  std::map<std::string, std::string> set(request.set().begin(), request.set().end());
  for (const auto& [k, v] : set) {
    auto* c = out.records.add_records()->mutable_config();
    c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
    c->set_resource_name(request.topic());
    c->set_name(k);
    c->set_value(v);
  }
  for (const std::string& k : request.delete_()) {
    auto* c = out.records.add_records()->mutable_config();
    c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
    c->set_resource_name(request.topic());
    c->set_name(k);
  }
  return out;
}

Outcome<RecordsOutcome> ControllerLogic::RegisterBroker(const MetadataImage& image,
                                                        BrokerHeartbeatTracker& heartbeats,
                                                        const RegisterBrokerRequest& request,
                                                        int64_t now_ms) {
  if (request.broker_id() < 0) {
    return ApiError{INVALID_REQUEST, "broker id must be >= 0"};
  }
  const BrokerInfo* existing = image.Broker(request.broker_id());
  if (existing != nullptr && existing->incarnation_id != request.incarnation_id() &&
      heartbeats.IsAlive(request.broker_id(), now_ms)) {
    return ApiError{DUPLICATE_BROKER_REGISTRATION,
                    absl::StrCat("Another broker is registered with id ", request.broker_id(),
                                 " and its session has not expired.")};
  }
  RecordsOutcome out;
  if (existing != nullptr && !existing->fenced) {
    // The previous incarnation is gone: move its leaderships away before the new one starts.
    MoveAwayFrom(image, request.broker_id(), &out.records);
  }
  auto* r = out.records.add_records()->mutable_register_broker();
  r->set_broker_id(request.broker_id());
  r->set_incarnation_id(request.incarnation_id());
  for (const auto& e : request.endpoints()) *r->add_endpoints() = e;
  r->set_rack(request.rack());
  r->set_fenced(true);
  heartbeats.Touch(request.broker_id(), now_ms);
  return out;
}

HeartbeatOutcome ControllerLogic::BrokerHeartbeat(const MetadataImage& image,
                                                  BrokerHeartbeatTracker& heartbeats,
                                                  const BrokerHeartbeatRequest& request,
                                                  int64_t now_ms) {
  HeartbeatOutcome out;
  const BrokerInfo* b = image.Broker(request.broker_id());
  if (b == nullptr || b->epoch != request.broker_epoch()) {
    out.response.set_error(STALE_BROKER_EPOCH);
    out.response.set_error_message(FormatApiError(
        {STALE_BROKER_EPOCH, absl::StrCat("Broker ", request.broker_id(), " epoch ",
                                          request.broker_epoch(), " is not registered; register again.")}));
    return out;
  }
  heartbeats.Touch(b->id, now_ms);
  const bool caught_up = request.current_metadata_offset() >= b->epoch;
  bool fenced = b->fenced;
  bool shutting_down = b->in_controlled_shutdown;
  if (request.want_shutdown() && !shutting_down) {
    auto* change = out.records.add_records()->mutable_broker_registration_change();
    change->set_broker_id(b->id);
    change->set_broker_epoch(b->epoch);
    change->set_controlled_shutdown(metadata::CONTROLLED_SHUTDOWN_REQUESTED);
    shutting_down = true;
    MetadataImage after = image;
    (void)after.ApplyBatch(out.records, image.applied_offset());
    MoveAwayFrom(after, b->id, &out.records);
  } else if (fenced && caught_up && !request.want_fence() && !shutting_down) {
    auto* change = out.records.add_records()->mutable_broker_registration_change();
    change->set_broker_id(b->id);
    change->set_broker_epoch(b->epoch);
    change->set_fencing(metadata::UNFENCE);
    fenced = false;
    // Offline partitions whose ISR holds this broker come back with it as leader.
    for (const auto& [id, topic] : image.topics_by_id()) {
      for (const auto& [p, info] : topic.partitions) {
        if (info.leader == -1 && Contains(info.isr, b->id)) {
          auto* pc = out.records.add_records()->mutable_partition_change();
          pc->set_topic_id(id);
          pc->set_partition_id(p);
          pc->set_leader(b->id);
        }
      }
    }
  } else if (!fenced && request.want_fence()) {
    auto* change = out.records.add_records()->mutable_broker_registration_change();
    change->set_broker_id(b->id);
    change->set_broker_epoch(b->epoch);
    change->set_fencing(metadata::FENCE);
    fenced = true;
    MoveAwayFrom(image, b->id, &out.records);
  }
  bool leads_any = false;
  if (shutting_down) {
    MetadataImage after = image;
    (void)after.ApplyBatch(out.records, image.applied_offset());
    for (const auto& [id, topic] : after.topics_by_id()) {
      for (const auto& [p, info] : topic.partitions) leads_any |= info.leader == b->id;
    }
  }
  out.response.set_is_caught_up(caught_up);
  out.response.set_is_fenced(fenced);
  out.response.set_should_shut_down(shutting_down && !leads_any);
  return out;
}

metadata::MetadataRecordBatch ControllerLogic::FenceExpiredBrokers(
    const MetadataImage& image, const BrokerHeartbeatTracker& heartbeats, int64_t now_ms) {
  MetadataRecordBatch batch;
  MetadataImage after = image;
  for (const auto& [id, b] : image.brokers()) {
    if (b.fenced || heartbeats.IsAlive(id, now_ms)) continue;
    MetadataRecordBatch one;
    auto* change = one.add_records()->mutable_broker_registration_change();
    change->set_broker_id(id);
    change->set_broker_epoch(b.epoch);
    change->set_fencing(metadata::FENCE);
    (void)after.ApplyBatch(one, image.applied_offset());
    MoveAwayFrom(after, id, &one);
    for (const auto& r : one.records()) {
      if (r.has_partition_change()) (void)after.Apply(r, image.applied_offset());
      *batch.add_records() = r;
    }
  }
  return batch;
}

Outcome<AlterPartitionOutcome> ControllerLogic::AlterPartition(const MetadataImage& image,
                                                               const AlterPartitionRequest& request) {
  const BrokerInfo* b = image.Broker(request.broker_id());
  if (b == nullptr || b->epoch != request.broker_epoch()) {
    return ApiError{STALE_BROKER_EPOCH, absl::StrCat("Broker ", request.broker_id(),
                                                     " epoch ", request.broker_epoch(), " is stale.")};
  }
  const TopicInfo* t = image.TopicById(request.topic_id());
  if (t == nullptr || !t->partitions.count(request.partition())) {
    return ApiError{UNKNOWN_TOPIC_OR_PARTITION, "The partition does not exist."};
  }
  const PartitionInfo& p = t->partitions.at(request.partition());
  if (p.leader != request.broker_id()) {
    return ApiError{NOT_LEADER_OR_FOLLOWER,
                    absl::StrCat("Broker ", request.broker_id(), " is not the leader (", p.leader, ").")};
  }
  if (request.leader_epoch() != p.leader_epoch) {
    return ApiError{FENCED_LEADER_EPOCH, absl::StrCat("Leader epoch ", request.leader_epoch(),
                                                      " is not the current ", p.leader_epoch, ".")};
  }
  if (request.partition_epoch() != p.partition_epoch) {
    return ApiError{INVALID_UPDATE_VERSION,
                    absl::StrCat("Partition epoch ", request.partition_epoch(),
                                 " is not the current ", p.partition_epoch, ".")};
  }
  std::vector<int32_t> isr(request.new_isr().begin(), request.new_isr().end());
  if (!Contains(isr, p.leader)) return ApiError{INVALID_REQUEST, "The new ISR must contain the leader."};
  std::set<int32_t> distinct(isr.begin(), isr.end());
  if (distinct.size() != isr.size()) return ApiError{INVALID_REQUEST, "The new ISR has duplicates."};
  for (int32_t id : isr) {
    if (!Contains(p.replicas, id)) {
      return ApiError{INVALID_REQUEST, absl::StrCat("Broker ", id, " is not a replica.")};
    }
    const BrokerInfo* member = image.Broker(id);
    bool growing = !Contains(p.isr, id);
    if (growing && (member == nullptr || member->fenced || member->in_controlled_shutdown)) {
      return ApiError{INVALID_REQUEST, absl::StrCat("Broker ", id, " is fenced or shutting down.")};
    }
  }
  AlterPartitionOutcome out;
  auto* change = out.records.add_records()->mutable_partition_change();
  change->set_topic_id(t->id);
  change->set_partition_id(request.partition());
  for (int32_t id : isr) change->mutable_isr()->add_ids(id);
  out.partition.set_partition(request.partition());
  out.partition.set_leader(p.leader);
  for (int32_t id : p.replicas) out.partition.add_replicas(id);
  for (int32_t id : isr) out.partition.add_isr(id);
  out.partition.set_leader_epoch(p.leader_epoch);
  out.partition.set_partition_epoch(p.partition_epoch + 1);
  return out;
}

}  // namespace keel::controller
