#include "broker/broker.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include <grpcpp/health_check_service_interface.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace keel::broker {
namespace {

std::string NewIncarnationId() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  return absl::StrCat(absl::Hex(rng(), absl::kZeroPad16), absl::Hex(rng(), absl::kZeroPad16));
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Broker::Broker(BrokerOptions options) : options_(std::move(options)) {}

Broker::~Broker() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Broker>> Broker::Open(BrokerOptions options) {
  if (options.data_dirs.empty()) return absl::InvalidArgumentError("no data dirs");
  if (options.controllers.empty()) return absl::InvalidArgumentError("no controllers");
  std::unique_ptr<Broker> b(new Broker(std::move(options)));
  const BrokerOptions& o = b->options_;
  b->metrics_ = observability::MetricsRegistry::Create();
  b->server_metrics_ = std::make_unique<observability::GrpcServerMetrics>(*b->metrics_);
  b->client_metrics_ = std::make_unique<observability::GrpcClientMetrics>(*b->metrics_);
  auto state = storage::StateStore::Open(o.data_dirs[0] + "/broker-state");
  if (!state.ok()) return state.status();
  b->state_ = std::move(*state);

  PartitionManagerOptions pm;
  pm.broker_id = o.broker_id;
  pm.data_dirs = o.data_dirs;
  pm.log_options = o.log_options;
  pm.default_policy = o.default_policy;
  pm.max_replicas = MaxReplicasForOpenFiles(o.open_files_limit);
  auto partitions = PartitionManager::Open(std::move(pm), b->state_.get());
  if (!partitions.ok()) return partitions.status();
  b->partitions_ = std::move(*partitions);
  b->broker_metrics_ = std::make_unique<BrokerMetrics>(b->metrics_, b->partitions_.get());

  Broker* raw = b.get();
  // Client-side RPC metrics (Kafka's request-latency-avg from the caller's view).
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      o.channel_credentials != nullptr ? o.channel_credentials : grpc::InsecureChannelCredentials();
  auto channels = [raw, credentials](const std::string& address) {
    return raw->client_metrics_->CreateChannel(address, credentials, grpc::ChannelArguments());
  };
  ReplicaFetcherOptions rf = o.replica_fetcher;
  rf.broker_id = o.broker_id;
  b->fetcher_ = std::make_unique<ReplicaFetcher>(
      rf, b->partitions_.get(),
      [raw](int32_t broker_id) {
        std::string address;
        raw->follower_->Read([&](const metadata::MetadataImage& image) {
          const metadata::BrokerInfo* info = image.Broker(broker_id);
          if (info != nullptr && !info->endpoints.empty()) {
            address = absl::StrCat(info->endpoints[0].host(), ":", info->endpoints[0].port());
          }
        });
        return address;
      },
      [raw] { return raw->lifecycle_ != nullptr ? raw->lifecycle_->broker_epoch() : -1; },
      channels);
  // One client of the controller quorum for the whole broker, on the metered channels: the
  // metadata stream, registration, heartbeats, AlterPartition and the Kafka listener's
  // forwarded admin requests.
  client::AdminClientOptions admin_options;
  admin_options.controllers = o.controllers;
  admin_options.channel_factory = channels;
  b->controller_client_ = std::make_shared<client::AdminClient>(admin_options);
  auto follower = MetadataFollower::Open(
      b->controller_client_, b->state_.get(),
      [raw](const metadata::MetadataImage& image, const std::set<std::string>* topics) {
        if (absl::Status s = raw->partitions_->Reconcile(image, topics, WallMs()); !s.ok()) {
          KEEL_LOG_ERROR("applying metadata at offset {} to the partitions failed: {}",
                         image.applied_offset(), s.ToString());
        }
        raw->notifier_.Notify();  // leaderships may have changed: wake waiting requests
        if (raw->started_.load()) raw->fetcher_->Reconcile();
      });
  if (!follower.ok()) return follower.status();
  b->follower_ = std::move(*follower);
  // The stored image matches the logs on disk as of the last run: reconcile against it now,
  // so the partitions have their assignments before the first request.
  b->follower_->ReplayStoredImage();

  DataPlaneOptions dp = o.data_plane;
  dp.broker_id = o.broker_id;
  b->data_plane_ = std::make_unique<DataPlane>(
      dp, b->partitions_.get(),
      [raw](const std::function<void(const metadata::MetadataImage&)>& fn) {
        raw->follower_->Read(fn);
      },
      [raw] { return raw->lifecycle_ != nullptr && raw->lifecycle_->Active(); }, &b->notifier_,
      b->broker_metrics_.get());
  b->service_ = std::make_unique<BrokerServiceImpl>(b->data_plane_.get());

  // The group coordinator: offsets and memberships in __consumer_offsets.
  DataPlane::ReadImage read_image =
      [raw](const std::function<void(const metadata::MetadataImage&)>& fn) {
        raw->follower_->Read(fn);
      };
  b->group_log_ = std::make_unique<kafka::GroupOffsetLog>(b->data_plane_.get(), read_image);
  b->groups_ = std::make_unique<group::GroupRuntime>(o.kafka.groups, b->group_log_.get());
  b->group_router_ = std::make_unique<group::CoordinatorRouter>(
      o.broker_id, o.kafka.groups, read_image,
      [raw](const controller::CreateTopicsRequest& request)
          -> absl::StatusOr<controller::CreateTopicsResponse> {
        // Built in Start(), before the servers take requests.
        if (raw->controller_client_ == nullptr) {
          return absl::UnavailableError("not started");
        }
        return raw->controller_client_->CreateTopics(
            request, std::chrono::milliseconds(raw->options_.kafka.admin_timeout_ms));
      },
      [raw](int32_t partition, int32_t partition_count, int32_t leader_epoch) {
        return raw->group_log_->EnsureLoaded(partition, partition_count, leader_epoch,
                                             raw->groups_->coordinator());
      },
      o.kafka.admin_timeout_ms);
  // Lag for the partitions this broker leads (their high watermark is known here).
  b->group_metrics_ = std::make_unique<group::GroupMetrics>(
      *b->metrics_, b->groups_->coordinator(), [raw](const group::TopicPartition& tp) {
        std::shared_ptr<Partition> p = raw->partitions_->Get(tp.topic, tp.partition);
        return p != nullptr && p->IsLeader() ? p->high_watermark() : int64_t{-1};
      });
  b->group_service_ =
      std::make_unique<GroupServiceImpl>(b->groups_->coordinator(), b->group_router_.get());
  return b;
}

absl::Status Broker::Start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen,
                           options_.server_credentials != nullptr
                               ? options_.server_credentials
                               : grpc::InsecureServerCredentials(),
                           &bound_port_);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(service_.get());
  builder.RegisterService(group_service_.get());
  grpc::EnableDefaultHealthCheckService(true);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(server_metrics_->NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || bound_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, " (address in use or invalid)"));
  }
  // The default health service starts out SERVING; the broker is fenced until it has
  // registered and caught up.
  UpdateHealth();
  if (!options_.metrics_address.empty()) {
    auto started = observability::MetricsServer::Start(options_.metrics_address, metrics_);
    if (!started.ok()) {
      return absl::Status(started.status().code(),
                          absl::StrCat("--metrics_address: ", started.status().message()));
    }
    metrics_server_ = std::move(*started);
    KEEL_LOG_INFO("serving metrics on http://{}/metrics", options_.metrics_address);
  }
  std::string host = options_.advertised_host;
  if (host.empty()) host = options_.listen.substr(0, options_.listen.rfind(':'));

  LifecycleOptions lo;
  lo.broker_id = options_.broker_id;
  lo.cluster_id = options_.cluster_id;
  lo.incarnation_id = NewIncarnationId();
  metadata::Endpoint endpoint;
  endpoint.set_name("DATA");
  endpoint.set_host(host);
  endpoint.set_port(bound_port_);
  lo.endpoints = {endpoint};
  if (!options_.kafka_listen.empty()) {
    if (absl::Status s = StartKafka(host, &lo.endpoints); !s.ok()) return s;
  }
  lo.rack = options_.rack;
  lo.controllers = controller_client_;
  lo.heartbeat_interval_ms = options_.heartbeat_interval_ms;
  lo.session_timeout_ms = options_.session_timeout_ms;
  lo.on_fencing_change = [this] { UpdateHealth(); };  // at once; expiry is polled
  lifecycle_ = std::make_unique<BrokerLifecycle>(
      lo, [this] { return follower_->caught_up_offset(); });
  lifecycle_for_kafka_.store(lifecycle_.get());

  IsrManagerOptions im;
  im.broker_id = options_.broker_id;
  im.controllers = controller_client_;
  im.replica_lag_time_max_ms = options_.replica_lag_time_max_ms;
  isr_manager_ = std::make_unique<IsrManager>(
      im, partitions_.get(), [this] { return lifecycle_->broker_epoch(); },
      [this] { return lifecycle_->Active(); }, broker_metrics_.get(), [this] {
        std::set<int32_t> usable;
        follower_->Read([&](const metadata::MetadataImage& image) {
          for (const auto& [id, b] : image.brokers()) {
            if (b.usable()) usable.insert(id);
          }
        });
        return usable;
      });

  started_ = true;
  fetcher_->Reconcile();
  follower_->Start();
  lifecycle_->Start();
  isr_manager_->Start();
  housekeeping_ = std::thread([this] { Housekeeping(); });
  LogCleanerOptions cleaner;
  cleaner.backoff_ms = options_.log_cleaner_backoff_ms;
  cleaner.now_ms = WallMs;
  cleaner_ = std::make_unique<LogCleaner>(partitions_.get(), cleaner, metrics_);
  cleaner_->Start();
  KEEL_LOG_INFO("serving on {}:{} with {} partition replicas", host, bound_port_,
                partitions_->size());
  return absl::OkStatus();
}

absl::Status Broker::StartKafka(const std::string& grpc_host,
                                std::vector<metadata::Endpoint>* endpoints) {
  kafka::ServerOptions server;
  server.listen = options_.kafka_listen;
  server.max_request_bytes = options_.kafka_max_request_bytes;
  server.tls = options_.kafka_tls;
  kafka::BrokerContext context;
  context.broker_id = options_.broker_id;
  context.cluster_id = options_.cluster_id;
  context.config = options_.kafka;
  context.data_plane = data_plane_.get();
  context.read_image = [this](const std::function<void(const metadata::MetadataImage&)>& fn) {
    follower_->Read(fn);
  };
  context.now_ms = WallMs;
  context.groups = groups_->coordinator();
  context.group_log = group_log_.get();
  context.group_router = group_router_.get();
  // The listener starts before the lifecycle exists (its port goes into the registration),
  // so the epoch is read through an atomic pointer set once the lifecycle is built.
  context.broker_epoch = [this] {
    BrokerLifecycle* lifecycle = lifecycle_for_kafka_.load();
    return lifecycle != nullptr ? lifecycle->broker_epoch() : int64_t{-1};
  };
  auto started =
      kafka::KafkaListener::Start(server, std::move(context), controller_client_, metrics_.get());
  if (!started.ok()) {
    return absl::Status(started.status().code(),
                        absl::StrCat("--kafka_listen: ", started.status().message()));
  }
  kafka_ = std::move(*started);
  std::string host = options_.advertised_host;
  if (host.empty()) host = options_.kafka_listen.substr(0, options_.kafka_listen.rfind(':'));
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = grpc_host;
  metadata::Endpoint endpoint;
  endpoint.set_name(kafka::kKafkaEndpointName);
  endpoint.set_host(host);
  endpoint.set_port(kafka_->port());
  endpoints->push_back(endpoint);
  KEEL_LOG_INFO("serving the Kafka protocol on {}:{}", host, kafka_->port());
  return absl::OkStatus();
}

void Broker::UpdateHealth() {
  grpc::HealthCheckServiceInterface* health =
      server_ == nullptr ? nullptr : server_->GetHealthCheckService();
  if (health == nullptr) return;
  // Held across deciding and setting: two callers (the housekeeping poll and a heartbeat's
  // fencing change) must not set their answers in the opposite order.
  std::lock_guard<std::mutex> health_lock(health_mu_);
  bool stopped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped = stopped_;
  }
  const bool serving = !stopped && lifecycle_ != nullptr && lifecycle_->Active();
  if (health_known_ && serving == serving_) return;
  health_known_ = true;
  serving_ = serving;
  health->SetServingStatus(serving);
  KEEL_LOG_INFO("health: {}", serving ? "SERVING" : "NOT_SERVING");
}

void Broker::Housekeeping() {
  auto next_checkpoint = std::chrono::steady_clock::now();
  auto next_retention = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    lock.unlock();
    UpdateHealth();
    lock.lock();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_checkpoint) {
      lock.unlock();
      if (absl::Status s = partitions_->CheckpointHighWatermarks(); !s.ok()) {
        KEEL_LOG_WARN("high-watermark checkpoint failed: {}", s.ToString());
      }
      lock.lock();
      next_checkpoint = now + std::chrono::milliseconds(options_.hw_checkpoint_interval_ms);
    }
    if (now >= next_retention) {
      lock.unlock();
      for (const auto& p : partitions_->All()) {
        // cleanup.policy=compact alone keeps old segments (the cleaner shrinks them).
        if (p->policy().delete_old) (void)p->log()->ApplyRetention(WallMs());
      }
      lock.lock();
      next_retention = now + std::chrono::milliseconds(options_.retention_check_interval_ms);
    }
    cv_.wait_until(lock, std::min({next_checkpoint, next_retention,
                                   now + std::chrono::milliseconds(kHealthCheckIntervalMs)}));
  }
}

void Broker::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  UpdateHealth();  // NOT_SERVING while the leaderships move away
  if (lifecycle_ != nullptr) {
    lifecycle_->ControlledShutdown(
        std::chrono::milliseconds(options_.controlled_shutdown_timeout_ms));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (housekeeping_.joinable()) housekeeping_.join();
  if (cleaner_ != nullptr) cleaner_->Stop();
  if (kafka_ != nullptr) kafka_->Stop();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  }
  if (groups_ != nullptr) groups_->Stop();  // no group request is in flight now
  if (isr_manager_ != nullptr) isr_manager_->Stop();
  if (follower_ != nullptr) follower_->Stop();
  if (fetcher_ != nullptr) fetcher_->Stop();
  if (lifecycle_ != nullptr) lifecycle_->Stop();
  if (partitions_ != nullptr) {
    if (absl::Status s = partitions_->CloseAll(); !s.ok()) {
      KEEL_LOG_WARN("closing partition logs: {}", s.ToString());
    }
  }
  metrics_server_.reset();
  KEEL_LOG_INFO("stopped");
}

}  // namespace keel::broker
