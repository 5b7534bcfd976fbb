// OffsetCommit v2-8 and OffsetFetch v1-8 over the group coordinator. (v0 of both kept
// offsets in ZooKeeper in Kafka and is not served.) A commit is answered once the
// coordinator's OffsetStore has it; a partition never committed fetches as offset -1.
#include <map>

#include "broker/group/group_coordinator.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/offsets.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::OffsetCommitRequest;
using keel::kafka::OffsetCommitResponse;
using keel::kafka::OffsetFetchRequest;
using keel::kafka::OffsetFetchResponse;

class OffsetCommitHandler final : public TypedHandler<OffsetCommitRequest, OffsetCommitResponse> {
 public:
  explicit OffsetCommitHandler(BrokerContext* context) : TypedHandler(2, 8), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, OffsetCommitRequest& request,
               OffsetCommitResponse* response) override {
    Served served;
    const int16_t coordinator_error = CoordinatorError(*context_, request.group_id);
    std::map<group::TopicPartition, int16_t> results;
    if (coordinator_error == 0) {
      std::map<group::TopicPartition, group::CommittedOffset> offsets;
      for (const auto& t : request.topics) {
        for (const auto& p : t.partitions) {
          offsets[{t.name, p.partition_index}] = {p.committed_offset, p.committed_leader_epoch,
                                                  p.committed_metadata};
        }
      }
      results = context_->groups->Commit(
          request.group_id, {request.member_id, request.group_instance_id},
          request.generation_id_or_member_epoch, offsets);
    }
    for (const auto& t : request.topics) {
      OffsetCommitResponse::Topic& out = response->topics.emplace_back();
      out.name = t.name;
      for (const auto& p : t.partitions) {
        int16_t e = coordinator_error;
        if (e == 0) {
          auto it = results.find({t.name, p.partition_index});
          e = it == results.end() ? 0 : it->second;
        }
        out.partitions.push_back({p.partition_index, e});
        NoteError(e, &served);
      }
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

class OffsetFetchHandler final : public TypedHandler<OffsetFetchRequest, OffsetFetchResponse> {
 public:
  explicit OffsetFetchHandler(BrokerContext* context) : TypedHandler(1, 8), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, OffsetFetchRequest& request,
               OffsetFetchResponse* response) override {
    Served served;
    if (rc.api_version >= 8) {
      for (const auto& g : request.groups) {
        OffsetFetchResponse::Group& out = response->groups.emplace_back();
        out.group_id = g.group_id;
        out.error_code = FetchGroup(g.group_id, g.topics, /*partition_errors=*/false,
                                    &out.topics);
        NoteError(out.error_code, &served);
      }
      return served;
    }
    const int16_t e = FetchGroup(request.group_id, request.topics,
                                 /*partition_errors=*/rc.api_version < 2, &response->topics);
    response->error_code = e;
    NoteError(e, &served);
    return served;
  }

 private:
  // Fills `out`; returns the group-level error. v0-1 have no group-level error: it goes
  // on every partition asked for instead.
  int16_t FetchGroup(const std::string& group_id,
                     const std::optional<std::vector<OffsetFetchRequest::Topic>>& topics,
                     bool partition_errors, std::vector<OffsetFetchResponse::Topic>* out) {
    const int16_t e = CoordinatorError(*context_, group_id);
    if (e != 0) {
      if (partition_errors && topics.has_value()) {
        for (const auto& t : *topics) {
          OffsetFetchResponse::Topic& ot = out->emplace_back();
          ot.name = t.name;
          for (int32_t p : t.partition_indexes) ot.partitions.push_back({p, -1, -1, "", e});
        }
      }
      return e;
    }
    std::optional<std::vector<group::TopicPartition>> wanted;
    if (topics.has_value()) {
      wanted.emplace();
      for (const auto& t : *topics) {
        for (int32_t p : t.partition_indexes) wanted->push_back({t.name, p});
      }
    }
    std::map<group::TopicPartition, group::CommittedOffset> found =
        context_->groups->FetchOffsets(group_id, wanted);
    // Answered in the order asked (all topics: by name).
    std::vector<group::TopicPartition> order;
    if (wanted.has_value()) {
      order = *wanted;
    } else {
      for (const auto& [tp, o] : found) order.push_back(tp);
    }
    std::map<std::string, size_t> topic_index;
    for (const group::TopicPartition& tp : order) {
      auto [it, inserted] = topic_index.emplace(tp.topic, out->size());
      if (inserted) out->emplace_back().name = tp.topic;
      const group::CommittedOffset& o = found[tp];
      (*out)[it->second].partitions.push_back(
          {tp.partition, o.offset, o.leader_epoch, o.metadata.value_or(""), 0});
    }
    return 0;
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewOffsetCommitHandler(BrokerContext* context) {
  return std::make_unique<OffsetCommitHandler>(context);
}
std::unique_ptr<Handler> NewOffsetFetchHandler(BrokerContext* context) {
  return std::make_unique<OffsetFetchHandler>(context);
}

}  // namespace keel::broker::kafka
