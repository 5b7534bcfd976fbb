// KafkaListener: the Kafka protocol front end of one broker: the TCP server, the dispatch
// table of handlers and their shared context and metrics. Broker starts it after the gRPC
// server (its port goes into the registration as the KAFKA endpoint) and stops it first.
#ifndef KEEL_BROKER_KAFKA_KAFKA_LISTENER_H_
#define KEEL_BROKER_KAFKA_KAFKA_LISTENER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "broker/group/coordinator_router.h"
#include "broker/group/group_metrics.h"
#include "broker/group/group_runtime.h"
#include "broker/kafka/broker_context.h"
#include "broker/kafka/dispatcher.h"
#include "broker/kafka/group_offset_log.h"
#include "broker/kafka/kafka_metrics.h"
#include "broker/kafka/server.h"
#include "observability/metrics_registry.h"

namespace keel::broker::kafka {

class KafkaListener {
 public:
  // `context.admin` may be null: then admin requests go through `controllers`, the broker's
  // client of the controller quorum. `registry` may be null. The broker passes its group
  // coordinator, log and router in `context` (shared with its gRPC GroupService); when
  // `context.groups` is null the listener builds its own (with their metrics).
  static absl::StatusOr<std::unique_ptr<KafkaListener>> Start(
      ServerOptions server, BrokerContext context,
      std::shared_ptr<client::AdminClient> controllers,
      observability::MetricsRegistry* registry);
  ~KafkaListener();

  int port() const { return server_->port(); }
  void Stop();

 private:
  KafkaListener() = default;

  std::unique_ptr<ControllerAdmin> own_admin_;
  ProducerStateTable producers_;
  std::unique_ptr<GroupOffsetLog> group_log_;    // when context.groups was null
  std::unique_ptr<group::GroupRuntime> groups_;  // when context.groups was null
  std::unique_ptr<group::GroupMetrics> group_metrics_;   // when context.groups was null
  std::unique_ptr<group::CoordinatorRouter> group_router_;  // when context.group_router was
  std::unique_ptr<ProducerIdBlock> own_producer_ids_;
  BrokerContext context_;
  std::unique_ptr<KafkaMetrics> metrics_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Server> server_;
};

// The dispatcher with every handler, ApiVersions included (tests use it without a socket).
std::unique_ptr<Dispatcher> NewDispatcher(BrokerContext* context, KafkaMetrics* metrics);

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_KAFKA_LISTENER_H_
