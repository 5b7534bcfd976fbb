// ControllerLogic's topic operations: CreateTopics, DeleteTopics, CreatePartitions,
// AlterConfigs.
#include <map>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/placement.h"
#include "controller/logic/proposal.h"
#include "controller/logic/topic_validation.h"
#include "metadata/image_records.h"

namespace keel::controller {
namespace {

using metadata::MetadataRecord;

TopicResult Result(const std::string& name, const std::optional<ApiError>& error) {
  TopicResult r;
  r.set_name(name);
  if (error) {
    r.set_error(error->code);
    r.set_error_message(FormatApiError(*error));
  }
  return r;
}

ApiError UnknownTopic(const std::string& name) {
  return {UNKNOWN_TOPIC_OR_PARTITION, absl::StrCat("Topic '", name, "' does not exist.")};
}

ApiError NotEnoughBrokers(int replication_factor, size_t usable_brokers) {
  return {INVALID_REPLICATION_FACTOR,
          absl::StrCat("Unable to replicate the partition ", replication_factor,
                       " time(s): The target replication factor of ", replication_factor,
                       " cannot be reached because only ", usable_brokers,
                       " broker(s) are registered, unfenced and not shutting down.")};
}

ApiError TooManyPartitions(int64_t requested) {
  return {INVALID_PARTITIONS,
          absl::StrCat("Creating ", requested, " partitions in one request exceeds the limit of ",
                       kMaxPartitionsPerRequest, ".")};
}

// 16 bytes from `rng`, never all zero (Kafka reserves the zero UUID) and never an id the
// image or this request already uses.
std::string NewTopicId(std::mt19937_64& rng, const metadata::MetadataImage& image,
                       const std::set<std::string>& used) {
  std::string id(16, '\0');
  while (true) {
    const uint64_t hi = rng(), lo = rng();
    for (int i = 0; i < 8; ++i) {
      id[i] = static_cast<char>(hi >> (56 - 8 * i));
      id[8 + i] = static_cast<char>(lo >> (56 - 8 * i));
    }
    if ((hi | lo) != 0 && image.TopicById(id) == nullptr && !used.count(id)) return id;
  }
}

absl::Status AddPartitions(const std::string& topic_id, int32_t first,
                           const std::vector<std::vector<int32_t>>& placement, Proposal& proposal) {
  for (size_t i = 0; i < placement.size(); ++i) {
    MetadataRecord record;
    auto* p = record.mutable_partition();
    p->set_topic_id(topic_id);
    p->set_partition_id(first + static_cast<int32_t>(i));
    for (int32_t id : placement[i]) {
      p->add_replicas(id);
      p->add_isr(id);
    }
    p->set_leader(placement[i][0]);
    if (absl::Status s = proposal.Add(std::move(record)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status AddTopicConfig(const std::string& topic, const std::string& key,
                            const std::string* value, Proposal& proposal) {
  MetadataRecord record;
  auto* c = record.mutable_config();
  c->set_resource_type(metadata::CONFIG_RESOURCE_TOPIC);
  c->set_resource_name(topic);
  c->set_name(key);
  if (value != nullptr) c->set_value(*value);
  return proposal.Add(std::move(record));
}

// A scratch proposal holding only topic `t` (its partitions and configs): all that a
// change to `t` needs to be checked against.
Proposal ScratchWithTopic(const metadata::MetadataImage& image, const metadata::TopicInfo& t) {
  Proposal proposal = Proposal::Scratch(image.applied_offset());
  (void)proposal.Seed(metadata::TopicRecordOf(t));
  for (const auto& [p, info] : t.partitions)
    (void)proposal.Seed(metadata::PartitionRecordOf(t.id, p, info));
  for (const auto& [k, v] : t.configs) {
    (void)proposal.Seed(metadata::ConfigRecordOf(metadata::CONFIG_RESOURCE_TOPIC, t.name, k, &v));
  }
  return proposal;
}

ApiError Internal(const absl::Status& s) {
  return {UNKNOWN_SERVER_ERROR, std::string(s.message())};
}

}  // namespace

TopicsOutcome ControllerLogic::CreateTopics(const metadata::MetadataImage& image,
                                            const CreateTopicsRequest& request, uint64_t random) {
  TopicsOutcome out;
  std::mt19937_64 rng(random);
  std::map<std::string, int> occurrences;
  for (const CreatableTopic& t : request.topics()) ++occurrences[t.name()];
  // This request's topics created so far: a later one must not collide with them either.
  std::vector<std::string> created_names;
  const std::vector<PlacementBroker> brokers = PlacementBrokers(image);
  std::set<std::string> used_ids;
  int64_t partitions_in_request = 0;
  // New topics touch nothing that exists: check them against an empty image.
  Proposal proposal = Proposal::Scratch(image.applied_offset());

  for (const CreatableTopic& t : request.topics()) {
    std::optional<ApiError> error;
    if (occurrences[t.name()] > 1) {
      error = ApiError{INVALID_REQUEST, absl::StrCat("Topic '", t.name(),
                                                     "' appears more than once in the request.")};
    }
    if (!error) error = ValidateTopicName(t.name());
    if (!error && image.TopicByName(t.name()) != nullptr) {
      error =
          ApiError{TOPIC_ALREADY_EXISTS, absl::StrCat("Topic '", t.name(), "' already exists.")};
    }
    if (!error) {
      // Candidates only (same collision key), not every name: the image indexes them.
      std::vector<std::string> candidates = image.TopicsCollidingWith(t.name());
      for (const std::string& n : created_names) {
        if (TopicNamesCollide(n, t.name())) candidates.push_back(n);
      }
      error = CheckTopicCollision(t.name(), candidates);
    }
    if (!error && t.num_partitions() < 1) {
      error = ApiError{INVALID_PARTITIONS, "Number of partitions must be larger than 0."};
    }
    if (!error && partitions_in_request + t.num_partitions() > kMaxPartitionsPerRequest) {
      error = TooManyPartitions(partitions_in_request + t.num_partitions());
    }
    if (!error && t.replication_factor() < 1) {
      error = ApiError{INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0."};
    }
    if (!error && static_cast<size_t>(t.replication_factor()) > brokers.size()) {
      error = NotEnoughBrokers(t.replication_factor(), brokers.size());
    }
    const std::map<std::string, std::string> configs(t.configs().begin(), t.configs().end());
    if (!error) error = ValidateTopicConfigs(configs, t.replication_factor());

    if (!error && !request.validate_only()) {
      const std::string id = NewTopicId(rng, image, used_ids);
      MetadataRecord topic;
      topic.mutable_topic()->set_name(t.name());
      topic.mutable_topic()->set_topic_id(id);
      absl::Status s = proposal.Add(std::move(topic));
      if (s.ok()) {
        s = AddPartitions(
            id, 0, PlaceReplicas(brokers, 0, t.num_partitions(), t.replication_factor(), rng()),
            proposal);
      }
      for (auto it = configs.begin(); s.ok() && it != configs.end(); ++it) {
        s = AddTopicConfig(t.name(), it->first, &it->second, proposal);
      }
      if (!s.ok()) {
        // Nothing of this request is proposed: its batch would be half a topic.
        out.results.clear();
        for (const CreatableTopic& each : request.topics()) {
          out.results.push_back(Result(each.name(), Internal(s)));
        }
        return out;
      }
      used_ids.insert(id);
      TopicResult result = Result(t.name(), std::nullopt);
      result.set_topic_id(id);
      out.results.push_back(std::move(result));
    } else {
      out.results.push_back(Result(t.name(), error));
    }
    if (!error) {
      created_names.push_back(t.name());
      partitions_in_request += t.num_partitions();
    }
  }
  out.records = proposal.TakeBatch();
  return out;
}

TopicsOutcome ControllerLogic::DeleteTopics(const metadata::MetadataImage& image,
                                            const DeleteTopicsRequest& request) {
  TopicsOutcome out;
  std::map<std::string, int> occurrences;
  for (const std::string& name : request.names()) ++occurrences[name];
  for (const std::string& name : request.names()) {
    const metadata::TopicInfo* t = image.TopicByName(name);
    if (occurrences[name] > 1) {
      out.results.push_back(Result(
          name,
          ApiError{INVALID_REQUEST,
                   absl::StrCat("Topic '", name, "' appears more than once in the request.")}));
    } else if (t == nullptr) {
      out.results.push_back(Result(name, UnknownTopic(name)));
    } else {
      out.records.add_records()->mutable_remove_topic()->set_topic_id(t->id);
      TopicResult r = Result(name, std::nullopt);
      r.set_topic_id(t->id);
      out.results.push_back(std::move(r));
    }
  }
  return out;
}

TopicsOutcome ControllerLogic::CreatePartitions(const metadata::MetadataImage& image,
                                                const CreatePartitionsRequest& request,
                                                uint64_t random) {
  TopicsOutcome out;
  const metadata::TopicInfo* t = image.TopicByName(request.topic());
  const std::vector<PlacementBroker> brokers = PlacementBrokers(image);
  const int64_t current = t == nullptr ? 0 : static_cast<int64_t>(t->partitions.size());
  const int64_t wanted = request.new_total_count();
  std::optional<ApiError> error;
  if (t == nullptr) {
    error = UnknownTopic(request.topic());
  } else if (wanted == current) {
    error =
        ApiError{INVALID_PARTITIONS, absl::StrCat("Topic already has ", current, " partition(s).")};
  } else if (wanted < current) {
    error =
        ApiError{INVALID_PARTITIONS,
                 absl::StrCat("Topic currently has ", current,
                              " partition(s), which is higher than the requested ", wanted, ".")};
  } else if (wanted - current > kMaxPartitionsPerRequest) {
    error = TooManyPartitions(wanted - current);
  } else if (static_cast<size_t>(t->replication_factor()) > brokers.size()) {
    error = NotEnoughBrokers(t->replication_factor(), brokers.size());
  }
  if (!error) {
    Proposal proposal = ScratchWithTopic(image, *t);
    const auto first = static_cast<int32_t>(current);
    absl::Status s =
        AddPartitions(t->id, first,
                      PlaceReplicas(brokers, first, static_cast<int32_t>(wanted - current),
                                    t->replication_factor(), random),
                      proposal);
    if (s.ok()) {
      out.records = proposal.TakeBatch();
    } else {
      error = Internal(s);
    }
  }
  TopicResult result = Result(request.topic(), error);
  if (t != nullptr) result.set_topic_id(t->id);
  out.results.push_back(std::move(result));
  return out;
}

TopicsOutcome ControllerLogic::AlterConfigs(const metadata::MetadataImage& image,
                                            const AlterConfigsRequest& request) {
  TopicsOutcome out;
  const metadata::TopicInfo* t = image.TopicByName(request.topic());
  const std::map<std::string, std::string> set(request.set().begin(), request.set().end());
  std::optional<ApiError> error;
  if (t == nullptr) {
    error = UnknownTopic(request.topic());
  } else {
    error = ValidateTopicConfigs(set, t->replication_factor());
    for (const std::string& key : request.delete_()) {
      if (error) break;
      if (set.count(key)) {
        error =
            ApiError{INVALID_REQUEST, absl::StrCat("Config '", key, "' is both set and deleted.")};
      } else if (!IsKnownTopicConfig(key)) {
        error = ApiError{INVALID_CONFIG, absl::StrCat("Unknown topic config name: ", key)};
      }
    }
  }
  if (!error) {
    Proposal proposal = ScratchWithTopic(image, *t);
    absl::Status s;
    for (auto it = set.begin(); s.ok() && it != set.end(); ++it) {
      s = AddTopicConfig(t->name, it->first, &it->second, proposal);
    }
    for (const std::string& key :
         std::set<std::string>(request.delete_().begin(), request.delete_().end())) {
      // Deleting what is not set changes nothing and needs no record.
      if (!s.ok() || !t->configs.count(key)) continue;
      s = AddTopicConfig(t->name, key, nullptr, proposal);
    }
    if (s.ok()) {
      out.records = proposal.TakeBatch();
    } else {
      error = Internal(s);
    }
  }
  TopicResult result = Result(request.topic(), error);
  if (t != nullptr) result.set_topic_id(t->id);
  out.results.push_back(std::move(result));
  return out;
}

}  // namespace keel::controller
