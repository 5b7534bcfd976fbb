// Broker: one keel-broker process's parts, wired together.
//
//   state store (LevelDB, <first data dir>/broker-state): the followed metadata image and
//       its applied offset, high-watermark and leader-epoch checkpoints
//   PartitionManager: the partition logs under the data dirs
//   MetadataFollower: WatchMetadata -> image -> PartitionManager::Reconcile
//   BrokerLifecycle: register, heartbeat (unfencing), controlled shutdown
//   ReplicaFetcher: follower side of replication; IsrManager: leader side ISR changes
//   DataPlane + BrokerServiceImpl: the gRPC data API
//   group coordinator (GroupRuntime, its GroupOffsetLog on __consumer_offsets, the
//       CoordinatorRouter): one per broker, served by GroupServiceImpl on the gRPC server
//       and by the Kafka listener's group handlers
//   KafkaListener: the Kafka protocol over the same DataPlane (optional, --kafka_listen)
//   housekeeping thread: high-watermark checkpoints and retention
//
// Start order: recover the logs, replay the stored image into them, bind the server,
// then follow metadata and register (the endpoint carries the bound port). Shutdown:
// controlled shutdown (bounded), stop serving, stop following, checkpoint and close logs.
#ifndef KEEL_BROKER_BROKER_H_
#define KEEL_BROKER_BROKER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/log_cleaner.h"
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/append_notifier.h"
#include "broker/broker_lifecycle.h"
#include "broker/broker_metrics.h"
#include "broker/broker_service.h"
#include "broker/data_plane.h"
#include "broker/group/coordinator_router.h"
#include "broker/group/group_metrics.h"
#include "broker/group/group_runtime.h"
#include "broker/group_service.h"
#include "broker/kafka/group_offset_log.h"
#include "broker/isr_manager.h"
#include "broker/kafka/kafka_listener.h"
#include "broker/metadata_follower.h"
#include "broker/partition_manager.h"
#include "broker/replica_fetcher.h"
#include "observability/grpc_client_metrics.h"
#include "observability/grpc_server_metrics.h"
#include "observability/metrics_registry.h"
#include "observability/metrics_server.h"
#include "storage/state_store.h"

namespace keel::broker {

struct BrokerOptions {
  int32_t broker_id = -1;
  // TLS (security/node_tls.h): the gRPC server's credentials and those of every channel this
  // broker opens (controllers, other brokers' replica fetches). Null: plaintext.
  std::shared_ptr<grpc::ServerCredentials> server_credentials;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  std::string listen = "127.0.0.1:19191";
  std::string advertised_host;  // empty: the host part of `listen`
  std::vector<std::string> controllers;
  std::vector<std::string> data_dirs;
  std::string rack;
  std::string cluster_id;
  int64_t heartbeat_interval_ms = 2000;
  int64_t session_timeout_ms = 9000;
  int64_t controlled_shutdown_timeout_ms = 15000;
  int64_t hw_checkpoint_interval_ms = 5000;    // Kafka's replica.high.watermark.checkpoint.interval.ms
  int64_t retention_check_interval_ms = 300000;  // Kafka's log.retention.check.interval.ms
  int64_t replica_lag_time_max_ms = 30000;       // Kafka's replica.lag.time.max.ms
  int64_t log_cleaner_backoff_ms = 15000;        // Kafka's log.cleaner.backoff.ms
  ReplicaFetcherOptions replica_fetcher;
  storage::LogOptions log_options;
  TopicPolicy default_policy;
  DataPlaneOptions data_plane;
  std::string metrics_address;  // IP:PORT for GET /metrics; empty: not served
  // Kafka protocol listener (docs/kafka.md): host:port, empty for none; registered as the
  // KAFKA endpoint with advertised_host (or this host).
  std::string kafka_listen;
  kafka::KafkaConfig kafka;
  int64_t kafka_max_request_bytes = 100 << 20;  // socket.request.max.bytes
  // Kafka's SSL security protocol on the Kafka listener (docs/security.md); null: PLAINTEXT.
  std::shared_ptr<security::TlsServerContext> kafka_tls;
  uint64_t open_files_limit = 0;  // RLIMIT_NOFILE in force; bounds the hosted replicas (0: none)
};

class Broker {
 public:
  static absl::StatusOr<std::unique_ptr<Broker>> Open(BrokerOptions options);
  ~Broker();

  // Binds the server and starts following metadata and heartbeating.
  absl::Status Start();
  // Controlled shutdown, then stops everything. Idempotent.
  void Shutdown();

  int bound_port() const { return bound_port_; }
  int kafka_port() const { return kafka_ != nullptr ? kafka_->port() : 0; }
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }
  BrokerLifecycle* lifecycle() { return lifecycle_.get(); }
  MetadataFollower* follower() { return follower_.get(); }
  PartitionManager* partitions() { return partitions_.get(); }
  // The process's metrics registry, for components the binary adds (the REST proxy).
  std::shared_ptr<observability::MetricsRegistry> metrics() const { return metrics_; }

 private:
  explicit Broker(BrokerOptions options);
  void Housekeeping();
  // Starts the Kafka listener and adds its KAFKA endpoint to `endpoints`.
  absl::Status StartKafka(const std::string& grpc_host,
                          std::vector<metadata::Endpoint>* endpoints);
  // Health (grpc.health.v1) follows lifecycle_->Active(): SERVING only while registered,
  // unfenced and within its session; NOT_SERVING from start and during shutdown.
  void UpdateHealth();
  static constexpr int64_t kHealthCheckIntervalMs = 200;

  const BrokerOptions options_;
  // Metrics are always recorded (cheap); metrics_address decides whether they are served.
  std::shared_ptr<observability::MetricsRegistry> metrics_;
  std::unique_ptr<observability::GrpcServerMetrics> server_metrics_;
  std::unique_ptr<observability::GrpcClientMetrics> client_metrics_;
  std::unique_ptr<BrokerMetrics> broker_metrics_;
  std::unique_ptr<observability::MetricsServer> metrics_server_;
  std::unique_ptr<storage::StateStore> state_;
  std::unique_ptr<PartitionManager> partitions_;
  AppendNotifier notifier_;
  std::unique_ptr<MetadataFollower> follower_;
  // The one client of the controllers, shared by the lifecycle and the ISR manager: its
  // channels and the leader it found outlive each heartbeat and AlterPartition.
  std::shared_ptr<client::AdminClient> controller_client_;
  std::unique_ptr<BrokerLifecycle> lifecycle_;
  // lifecycle_.get() for the Kafka listener's threads, which start before lifecycle_ is set.
  std::atomic<BrokerLifecycle*> lifecycle_for_kafka_{nullptr};
  std::unique_ptr<ReplicaFetcher> fetcher_;
  std::unique_ptr<IsrManager> isr_manager_;
  std::unique_ptr<DataPlane> data_plane_;
  // The group coordinator, shared by GroupServiceImpl and the Kafka listener; declared
  // before both front ends so that it outlives them.
  std::unique_ptr<kafka::GroupOffsetLog> group_log_;
  std::unique_ptr<group::GroupRuntime> groups_;
  std::unique_ptr<group::CoordinatorRouter> group_router_;
  std::unique_ptr<group::GroupMetrics> group_metrics_;
  std::unique_ptr<GroupServiceImpl> group_service_;
  std::unique_ptr<BrokerServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int bound_port_ = 0;
  std::unique_ptr<kafka::KafkaListener> kafka_;  // null without kafka_listen
  std::atomic<bool> started_{false};  // fetchers start with the server, not during recovery

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::mutex health_mu_;       // taken before mu_
  bool health_known_ = false;  // guarded by health_mu_: a status was set at least once
  bool serving_ = false;       // guarded by health_mu_: the status last set
  bool stopped_ = false;   // guarded by mu_
  std::thread housekeeping_;
  std::unique_ptr<LogCleaner> cleaner_;  // compacts topics with cleanup.policy=compact
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_BROKER_H_
