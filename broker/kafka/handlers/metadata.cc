// Metadata v0-12: this cluster's brokers (their KAFKA endpoints), this broker as the
// controller (it forwards admin requests), and the topics asked for (or all), with leader
// epochs (v7+) and topic ids (v10+). Unknown topics are created when auto.create.topics.enable
// and the request allow it (v4+; always for older versions, as in Kafka); the answer then
// says LEADER_NOT_AVAILABLE and the client asks again.
#include <set>

#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "common/logging.h"
#include "kafka/metadata.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::MetadataRequest;
using keel::kafka::MetadataResponse;

class MetadataHandler final : public TypedHandler<MetadataRequest, MetadataResponse> {
 public:
  explicit MetadataHandler(BrokerContext* context) : TypedHandler(0, 12), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, MetadataRequest& request,
               MetadataResponse* response) override {
    Served served;
    // v0: an empty list means all topics; v1+: null means all.
    const bool all = !request.topics.has_value() ||
                     (rc.api_version == 0 && request.topics->empty());
    std::vector<std::string> names;
    std::vector<keel::kafka::Uuid> by_id;
    if (!all) {
      for (const auto& t : *request.topics) {
        if (t.name.has_value()) {
          names.push_back(*t.name);
        } else {
          by_id.push_back(t.topic_id);
        }
      }
    }
    const bool may_create = context_->config.auto_create_topics &&
                            (rc.api_version < 4 || request.allow_auto_topic_creation);
    std::vector<std::string> missing;
    if (may_create) {
      context_->read_image([&](const metadata::MetadataImage& image) {
        for (const std::string& n : names) {
          if (image.TopicByName(n) == nullptr) missing.push_back(n);
        }
      });
      if (!missing.empty()) AutoCreate(missing);
    }
    std::set<std::string> created(missing.begin(), missing.end());
    context_->read_image([&](const metadata::MetadataImage& image) {
      Fill(image, all, names, by_id, created, response, &served);
    });
    return served;
  }

 private:
  void AutoCreate(const std::vector<std::string>& names) {
    controller::CreateTopicsRequest create;
    create.set_timeout_ms(static_cast<int32_t>(context_->config.admin_timeout_ms));
    for (const std::string& n : names) {
      auto* t = create.add_topics();
      t->set_name(n);
      t->set_num_partitions(context_->config.default_partitions);
      t->set_replication_factor(context_->config.default_replication_factor);
    }
    controller::CreateTopicsResponse created;
    grpc::Status s = context_->admin->CreateTopics(create, &created);
    if (!s.ok()) {
      KEEL_LOG_WARN("kafka: auto-creating {} topic(s) failed: {}", names.size(),
                    s.error_message());
      return;
    }
    for (const auto& r : created.results()) {
      if (r.error() != keel::NONE && r.error() != keel::TOPIC_ALREADY_EXISTS) {
        KEEL_LOG_INFO("kafka: auto-creating topic '{}' refused: {}", r.name(), r.error_message());
      }
    }
    // Answer with the new topic when this broker sees it within a moment (a client then
    // needs no second round trip); otherwise LEADER_NOT_AVAILABLE makes it ask again.
    WaitForImage(
        *context_,
        [&](const metadata::MetadataImage& image) {
          for (const auto& r : created.results()) {
            if (r.error() != keel::NONE) continue;
            const metadata::TopicInfo* t = image.TopicByName(r.name());
            if (t == nullptr) return false;
            for (const auto& [p, info] : t->partitions) {
              if (info.leader < 0) return false;
            }
          }
          return true;
        },
        1000);
  }

  void FillTopic(const metadata::MetadataImage& image, const metadata::TopicInfo& t,
                 MetadataResponse::Topic* out, Served* served) {
    out->name = t.name;
    out->topic_id = ToUuid(t.id);
    for (const auto& [index, p] : t.partitions) {
      MetadataResponse::Partition& mp = out->partitions.emplace_back();
      mp.partition_index = index;
      mp.leader_id = p.leader;
      mp.leader_epoch = p.leader_epoch;
      mp.replica_nodes = p.replicas;
      mp.isr_nodes = p.isr;
      for (int32_t r : p.replicas) {
        const metadata::BrokerInfo* b = image.Broker(r);
        if (b == nullptr || b->fenced) mp.offline_replicas.push_back(r);
      }
      if (p.leader < 0) {
        mp.error_code = KafkaCode(ErrorCode::kLeaderNotAvailable);
        NoteError(mp.error_code, served);
      }
    }
  }

  void Fill(const metadata::MetadataImage& image, bool all,
            const std::vector<std::string>& names, const std::vector<keel::kafka::Uuid>& by_id,
            const std::set<std::string>& created, MetadataResponse* response, Served* served) {
    for (const auto& [id, b] : image.brokers()) {
      if (b.fenced) continue;
      const metadata::Endpoint* e = KafkaEndpoint(b);
      if (e == nullptr) continue;
      MetadataResponse::Broker& mb = response->brokers.emplace_back();
      mb.node_id = id;
      mb.host = e->host();
      mb.port = e->port();
      if (!b.rack.empty()) mb.rack = b.rack;
    }
    response->cluster_id = context_->cluster_id;
    response->controller_id = context_->broker_id;
    if (all) {
      for (const auto& [id, t] : image.topics_by_id()) {
        FillTopic(image, t, &response->topics.emplace_back(), served);
      }
      return;
    }
    for (const std::string& name : names) {
      MetadataResponse::Topic& mt = response->topics.emplace_back();
      const metadata::TopicInfo* t = image.TopicByName(name);
      if (t == nullptr) {
        mt.name = name;
        mt.error_code = created.count(name) > 0 ? KafkaCode(ErrorCode::kLeaderNotAvailable)
                                                : KafkaCode(ErrorCode::kUnknownTopicOrPartition);
        NoteError(mt.error_code, served);
        continue;
      }
      FillTopic(image, *t, &mt, served);
    }
    for (const keel::kafka::Uuid& id : by_id) {
      MetadataResponse::Topic& mt = response->topics.emplace_back();
      const std::string raw(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
      const metadata::TopicInfo* t = image.TopicById(raw);
      if (t == nullptr) {
        mt.topic_id = id;
        mt.error_code = KafkaCode(ErrorCode::kUnknownTopicId);
        NoteError(mt.error_code, served);
        continue;
      }
      FillTopic(image, *t, &mt, served);
    }
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewMetadataHandler(BrokerContext* context) {
  return std::make_unique<MetadataHandler>(context);
}

}  // namespace keel::broker::kafka
