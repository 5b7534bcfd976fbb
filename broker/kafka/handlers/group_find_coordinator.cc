// FindCoordinator v0-4: a group's coordinator is the leader of its partition of
// __consumer_offsets (Kafka's rule). The first request creates that topic through the
// controller (offsets.topic.num.partitions, replication min(offsets.topic.replication.factor,
// usable brokers)) and answers COORDINATOR_NOT_AVAILABLE until the partition has a leader;
// the client asks again. Transaction coordinators do not exist here (no transactions):
// COORDINATOR_NOT_AVAILABLE.
#include <algorithm>
#include <atomic>

#include "broker/group/group_config.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "common/logging.h"
#include "kafka/group_membership.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::FindCoordinatorRequest;
using keel::kafka::FindCoordinatorResponse;

class FindCoordinatorHandler final
    : public TypedHandler<FindCoordinatorRequest, FindCoordinatorResponse> {
 public:
  explicit FindCoordinatorHandler(BrokerContext* context)
      : TypedHandler(0, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, FindCoordinatorRequest& request,
               FindCoordinatorResponse* response) override {
    Served served;
    std::vector<std::string> keys =
        rc.api_version >= 4 ? request.coordinator_keys : std::vector<std::string>{request.key};
    const bool groups = request.key_type == keel::kafka::kCoordinatorKeyTypeGroup;
    if (groups && !OffsetsTopicExists()) CreateOffsetsTopic();
    for (const std::string& key : keys) {
      FindCoordinatorResponse::Coordinator c = Lookup(key, groups);
      NoteError(c.error_code, &served);
      response->coordinators.push_back(std::move(c));
    }
    if (rc.api_version < 4 && !response->coordinators.empty()) {
      const FindCoordinatorResponse::Coordinator& c = response->coordinators.front();
      response->error_code = c.error_code;
      response->error_message = c.error_message;
      response->node_id = c.node_id;
      response->host = c.host;
      response->port = c.port;
      response->coordinators.clear();
    }
    return served;
  }

 private:
  FindCoordinatorResponse::Coordinator Lookup(const std::string& key, bool groups) {
    FindCoordinatorResponse::Coordinator c;
    c.key = key;
    c.node_id = -1;
    c.port = -1;
    c.error_code = KafkaCode(ErrorCode::kCoordinatorNotAvailable);
    if (!groups) {
      c.error_message = "transactions are not supported";
      return c;
    }
    context_->read_image([&](const metadata::MetadataImage& image) {
      const metadata::TopicInfo* topic = image.TopicByName(kOffsetsTopic);
      if (topic == nullptr || topic->partitions.empty()) return;
      const int32_t p = OffsetsPartitionFor(key, static_cast<int32_t>(topic->partitions.size()));
      auto it = topic->partitions.find(p);
      if (it == topic->partitions.end() || it->second.leader < 0) return;
      const metadata::BrokerInfo* broker = image.Broker(it->second.leader);
      const metadata::Endpoint* endpoint = broker == nullptr ? nullptr : KafkaEndpoint(*broker);
      if (endpoint == nullptr) return;
      c.node_id = it->second.leader;
      c.host = endpoint->host();
      c.port = endpoint->port();
      c.error_code = 0;
    });
    if (c.error_code != 0) c.error_message = "the group coordinator is not available yet";
    return c;
  }

  bool OffsetsTopicExists() {
    bool exists = false;
    context_->read_image([&](const metadata::MetadataImage& image) {
      exists = image.TopicByName(kOffsetsTopic) != nullptr;
    });
    return exists;
  }

  void CreateOffsetsTopic() {
    const group::GroupConfig& config = context_->config.groups;
    int32_t usable = 1;
    context_->read_image([&](const metadata::MetadataImage& image) {
      usable = std::max<int32_t>(1, static_cast<int32_t>(image.UsableBrokers().size()));
    });
    controller::CreateTopicsRequest create;
    create.set_timeout_ms(static_cast<int32_t>(context_->config.admin_timeout_ms));
    auto* t = create.add_topics();
    t->set_name(kOffsetsTopic);
    t->set_num_partitions(config.offsets_topic_num_partitions);
    t->set_replication_factor(
        std::min<int32_t>(config.offsets_topic_replication_factor, usable));
    // As Kafka: only the newest record per key matters (docs/formats/consumer-offsets.md).
    (*t->mutable_configs())["cleanup.policy"] = "compact";
    controller::CreateTopicsResponse created;
    grpc::Status s = context_->admin->CreateTopics(create, &created);
    if (!s.ok()) {
      KEEL_LOG_WARN("kafka: creating {} failed: {}", kOffsetsTopic, s.error_message());
      return;
    }
    for (const auto& r : created.results()) {
      if (r.error() != keel::NONE && r.error() != keel::TOPIC_ALREADY_EXISTS) {
        KEEL_LOG_WARN("kafka: creating {} refused: {}", kOffsetsTopic, r.error_message());
        return;
      }
    }
    KEEL_LOG_INFO("kafka: created {} ({} partitions) for the group coordinator", kOffsetsTopic,
                  config.offsets_topic_num_partitions);
    // Most clients retry FindCoordinator after a back-off; answering with the leader when
    // it appears within a moment saves them that round.
    WaitForImage(
        *context_,
        [](const metadata::MetadataImage& image) {
          const metadata::TopicInfo* t = image.TopicByName(kOffsetsTopic);
          if (t == nullptr) return false;
          for (const auto& [p, info] : t->partitions) {
            if (info.leader < 0) return false;
          }
          return true;
        },
        2000);
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewFindCoordinatorHandler(BrokerContext* context) {
  return std::make_unique<FindCoordinatorHandler>(context);
}

}  // namespace keel::broker::kafka
