#include "broker/kafka/kafka_listener.h"

#include <utility>

#include "broker/kafka/handlers/group_common.h"
#include "broker/kafka/handlers/handlers.h"

namespace keel::broker::kafka {

std::unique_ptr<Dispatcher> NewDispatcher(BrokerContext* context, KafkaMetrics* metrics) {
  std::vector<std::unique_ptr<Handler>> handlers = MakeHandlers(context);
  // ApiVersions lists the table it is part of; the dispatcher outlives every request.
  auto dispatcher_slot = std::make_shared<Dispatcher*>(nullptr);
  handlers.push_back(NewApiVersionsHandler([dispatcher_slot] {
    std::vector<keel::kafka::ApiVersionsResponse::ApiVersion> out;
    for (const auto& [key, h] : (*dispatcher_slot)->handlers()) {
      out.push_back({key, h->min_version(), h->max_version()});
    }
    return out;
  }));
  auto dispatcher = std::make_unique<Dispatcher>(std::move(handlers), metrics);
  *dispatcher_slot = dispatcher.get();
  return dispatcher;
}

absl::StatusOr<std::unique_ptr<KafkaListener>> KafkaListener::Start(
    ServerOptions server, BrokerContext context,
    std::shared_ptr<client::AdminClient> controllers,
    observability::MetricsRegistry* registry) {
  std::unique_ptr<KafkaListener> l(new KafkaListener());
  l->context_ = std::move(context);
  if (l->context_.admin == nullptr) {
    l->own_admin_ = std::make_unique<GrpcControllerAdmin>(
        std::move(controllers), std::chrono::milliseconds(l->context_.config.admin_timeout_ms));
    l->context_.admin = l->own_admin_.get();
  }
  if (l->context_.producers == nullptr) l->context_.producers = &l->producers_;
  if (l->context_.groups == nullptr) {
    // Offsets go to __consumer_offsets when there is a data plane to write them with.
    if (l->context_.data_plane != nullptr) {
      l->group_log_ = std::make_unique<GroupOffsetLog>(l->context_.data_plane,
                                                       l->context_.read_image);
      l->context_.group_log = l->group_log_.get();
    }
    l->groups_ = std::make_unique<group::GroupRuntime>(l->context_.config.groups,
                                                       l->group_log_.get());
    l->context_.groups = l->groups_->coordinator();
    if (registry != nullptr) {
      l->group_metrics_ = std::make_unique<group::GroupMetrics>(*registry, l->context_.groups);
    }
  }
  if (l->context_.group_router == nullptr) {
    l->group_router_ = NewGroupRouter(&l->context_);
    l->context_.group_router = l->group_router_.get();
  }
  if (l->context_.producer_ids == nullptr) {
    std::function<int64_t()> epoch = l->context_.broker_epoch;
    if (!epoch) epoch = [] { return int64_t{-1}; };
    l->own_producer_ids_ = std::make_unique<ProducerIdBlock>(
        l->context_.admin, l->context_.broker_id, std::move(epoch));
    l->context_.producer_ids = l->own_producer_ids_.get();
  }
  if (registry != nullptr) l->metrics_ = std::make_unique<KafkaMetrics>(*registry);
  l->dispatcher_ = NewDispatcher(&l->context_, l->metrics_.get());
  auto started = Server::Start(std::move(server), l->dispatcher_.get());
  if (!started.ok()) return started.status();
  l->server_ = std::move(*started);
  return l;
}

KafkaListener::~KafkaListener() { Stop(); }

void KafkaListener::Stop() {
  if (server_ != nullptr) server_->Stop();
  if (groups_ != nullptr) groups_->Stop();
}

}  // namespace keel::broker::kafka
