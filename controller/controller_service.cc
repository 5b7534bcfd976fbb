#include "controller/controller_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "metadata/api_error.h"
#include "controller/logic/controller_logic.h"
#include "metadata/watch_snapshot.h"

namespace keel::controller {
namespace {

constexpr auto kDefaultWriteTimeout = std::chrono::milliseconds(10000);

std::chrono::steady_clock::time_point WriteDeadline(const grpc::ServerContext* context) {
  auto client_deadline = context->deadline();
  auto now_system = std::chrono::system_clock::now();
  auto remaining = client_deadline - now_system;
  if (remaining > kDefaultWriteTimeout || remaining.count() <= 0) {
    remaining = kDefaultWriteTimeout;
  }
  // Leave a little time to answer before the client gives up.
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(remaining) * 9 / 10;
}

grpc::StatusCode ToGrpc(absl::StatusCode code) { return static_cast<grpc::StatusCode>(code); }

// Maps a node-level failure (not leader, timeout) to gRPC, naming the leader.
grpc::Status NodeError(const absl::Status& status, const NodeAddress& leader,
                       grpc::ServerContext* context) {
  if (leader.node_id() > 0) {
    context->AddTrailingMetadata("keel-leader-id", std::to_string(leader.node_id()));
    context->AddTrailingMetadata("keel-leader-address", leader.address());
  }
  return grpc::Status(ToGrpc(status.code()), std::string(status.message()));
}

grpc::Status ApiErrorStatus(const metadata::ApiError& error) {
  return grpc::Status(ToGrpc(metadata::ToStatusCode(error.code)), metadata::FormatApiError(error));
}

// For results whose message ControllerLogic already formatted ("CODE: message").
grpc::Status FormattedErrorStatus(ErrorCode code, const std::string& formatted) {
  return grpc::Status(ToGrpc(metadata::ToStatusCode(code)), formatted);
}

// Runs a write and turns its outcome into a gRPC status; `fill_leader` sets the response's
// leader field.
grpc::Status RunWrite(ControllerNode* node, grpc::ServerContext* context, WriteFn fn,
                      NodeAddress* leader_out) {
  NodeAddress leader;
  absl::Status status = node->Write(std::move(fn), WriteDeadline(context), &leader);
  if (leader_out != nullptr) *leader_out = leader;
  if (!status.ok()) return NodeError(status, leader, context);
  return grpc::Status::OK;
}

// The request fails as a whole when every topic failed (Kafka reports per topic; a gRPC
// caller also gets a status it can act on).
grpc::Status TopicResultsStatus(const google::protobuf::RepeatedPtrField<TopicResult>& results) {
  if (results.empty()) return grpc::Status::OK;
  for (const TopicResult& r : results) {
    if (r.error() == NONE) return grpc::Status::OK;
  }
  return FormattedErrorStatus(results[0].error(), results[0].error_message());
}

// Runs a write whose answer `plan` builds in `result`. The result is shared with the loop
// thread (a completion may run after a caller that hit its deadline has returned), and is
// copied into `response`, with the leader filled in, once the write is done.
template <typename Response, typename PlanFn>
grpc::Status WriteAndAnswer(ControllerNode* node, grpc::ServerContext* context, PlanFn plan,
                            Response* response) {
  auto result = std::make_shared<Response>();
  NodeAddress leader;
  grpc::Status status = RunWrite(
      node, context,
      [plan = std::move(plan), result](LeaderContext& ctx) { return plan(ctx, result); }, &leader);
  *response = *result;
  *response->mutable_leader() = leader;
  return status;
}

}  // namespace

class ControllerServices::Admin final : public AdminService::Service {
 public:
  explicit Admin(ControllerNode* node) : node_(node) {}

  grpc::Status CreateTopics(grpc::ServerContext* context, const CreateTopicsRequest* request,
                            CreateTopicsResponse* response) override {
    CreateTopicsRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<CreateTopicsResponse>& result) {
          TopicsOutcome outcome = ControllerLogic::CreateTopics(ctx.latest, req, ctx.random);
          for (auto& r : outcome.results) *result->add_results() = std::move(r);
          return WritePlan{std::move(outcome.records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    return TopicResultsStatus(response->results());
  }

  grpc::Status DeleteTopics(grpc::ServerContext* context, const DeleteTopicsRequest* request,
                            DeleteTopicsResponse* response) override {
    DeleteTopicsRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<DeleteTopicsResponse>& result) {
          TopicsOutcome outcome = ControllerLogic::DeleteTopics(ctx.latest, req);
          for (auto& r : outcome.results) *result->add_results() = std::move(r);
          return WritePlan{std::move(outcome.records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    return TopicResultsStatus(response->results());
  }

  grpc::Status CreatePartitions(grpc::ServerContext* context,
                                const CreatePartitionsRequest* request,
                                CreatePartitionsResponse* response) override {
    CreatePartitionsRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<CreatePartitionsResponse>& result) {
          TopicsOutcome outcome = ControllerLogic::CreatePartitions(ctx.latest, req, ctx.random);
          if (!outcome.results.empty()) *result->mutable_result() = outcome.results[0];
          return WritePlan{std::move(outcome.records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    if (response->result().error() != NONE) {
      return FormattedErrorStatus(response->result().error(), response->result().error_message());
    }
    return grpc::Status::OK;
  }

  grpc::Status AlterConfigs(grpc::ServerContext* context, const AlterConfigsRequest* request,
                            AlterConfigsResponse* response) override {
    AlterConfigsRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<AlterConfigsResponse>& result) {
          TopicsOutcome outcome = ControllerLogic::AlterConfigs(ctx.latest, req);
          if (!outcome.results.empty()) *result->mutable_result() = outcome.results[0];
          return WritePlan{std::move(outcome.records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    if (response->result().error() != NONE) {
      return FormattedErrorStatus(response->result().error(), response->result().error_message());
    }
    return grpc::Status::OK;
  }

  grpc::Status ListTopics(grpc::ServerContext* context, const ListTopicsRequest* request,
                          ListTopicsResponse* response) override {
    if (!request->linearizable()) {
      node_->ReadCommitted(
          [&](const metadata::MetadataImage& image) { image.FillListTopics(response); });
      return grpc::Status::OK;
    }
    // The list of the latest image (every proposal so far), answered once an empty entry
    // after them commits in this leader's term: the read linearizes at that entry.
    auto result = std::make_shared<ListTopicsResponse>();
    grpc::Status status = RunWrite(
        node_, context,
        [result](LeaderContext& ctx) {
          ctx.latest.FillListTopics(result.get());
          WritePlan plan;
          plan.barrier = true;
          return plan;
        },
        nullptr);
    if (!status.ok()) return status;
    *response = *result;
    return grpc::Status::OK;
  }

  grpc::Status DescribeTopics(grpc::ServerContext*, const DescribeTopicsRequest* request,
                              DescribeTopicsResponse* response) override {
    node_->ReadCommitted([&](const metadata::MetadataImage& image) {
      image.FillDescribeTopics(*request, response);
    });
    for (const TopicDescription& t : response->topics()) {
      if (t.error() != NONE && request->names_size() == 1) {
        return ApiErrorStatus({t.error(), absl::StrCat("Topic '", t.name(), "' does not exist.")});
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status DescribeCluster(grpc::ServerContext*, const DescribeClusterRequest*,
                               DescribeClusterResponse* response) override {
    node_->ReadCommitted(
        [&](const metadata::MetadataImage& image) { image.FillDescribeCluster(response); });
    response->set_cluster_id(node_->cluster_id());
    response->set_controller_id(static_cast<int32_t>(node_->DescribeQuorum().leader_id));
    return grpc::Status::OK;
  }

 private:
  ControllerNode* node_;
};

class ControllerServices::Lifecycle final : public BrokerLifecycleService::Service {
 public:
  Lifecycle(ControllerNode* node, const security::ClusterPeerAuthorizer* authorizer)
      : node_(node), authorizer_(authorizer) {}

  grpc::Status RegisterBroker(grpc::ServerContext* context, const RegisterBrokerRequest* request,
                              RegisterBrokerResponse* response) override {
    if (grpc::Status s = AuthorizeBroker(*context, request->broker_id(), "register"); !s.ok()) {
      return s;
    }
    if (request->cluster_id() != node_->cluster_id()) {
      return ApiErrorStatus({INCONSISTENT_CLUSTER_ID,
                             absl::StrCat("broker belongs to cluster '", request->cluster_id(),
                                          "' but this is cluster '", node_->cluster_id(), "'")});
    }
    RegisterBrokerRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<RegisterBrokerResponse>& result) {
          auto outcome =
              ControllerLogic::RegisterBroker(ctx.latest, ctx.heartbeats, req, ctx.now_ms);
          if (!outcome.ok()) {
            result->set_error(outcome.status().code);
            result->set_error_message(outcome.status().message);
            return WritePlan{};
          }
          // The broker epoch is the offset its registration record commits at.
          return WritePlan{std::move(outcome->records), [result](absl::StatusOr<int64_t> offset) {
                             if (offset.ok()) result->set_broker_epoch(*offset);
                           }};
        },
        response);
    if (!status.ok()) return status;
    if (response->error() != NONE) {
      return ApiErrorStatus({response->error(), response->error_message()});
    }
    return grpc::Status::OK;
  }

  grpc::Status BrokerHeartbeat(grpc::ServerContext* context, const BrokerHeartbeatRequest* request,
                               BrokerHeartbeatResponse* response) override {
    if (grpc::Status s = AuthorizeBroker(*context, request->broker_id(), "heartbeat"); !s.ok()) {
      return s;
    }
    BrokerHeartbeatRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<BrokerHeartbeatResponse>& result) {
          auto outcome =
              ControllerLogic::BrokerHeartbeat(ctx.latest, ctx.heartbeats, req, ctx.now_ms);
          *result = outcome.response;
          return WritePlan{std::move(outcome.records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    if (response->error() != NONE) {
      return FormattedErrorStatus(response->error(), response->error_message());
    }
    return grpc::Status::OK;
  }

  grpc::Status AlterPartition(grpc::ServerContext* context, const AlterPartitionRequest* request,
                              AlterPartitionResponse* response) override {
    if (grpc::Status s = AuthorizeBroker(*context, request->broker_id(), "alter partitions");
        !s.ok()) {
      return s;
    }
    AlterPartitionRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<AlterPartitionResponse>& result) {
          auto outcome = ControllerLogic::AlterPartition(ctx.latest, req);
          if (!outcome.ok()) {
            result->set_error(outcome.status().code);
            result->set_error_message(outcome.status().message);
            return WritePlan{};
          }
          *result->mutable_partition() = outcome->partition;
          return WritePlan{std::move(outcome->records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    if (response->error() != NONE) {
      return ApiErrorStatus({response->error(), response->error_message()});
    }
    return grpc::Status::OK;
  }

  grpc::Status AllocateProducerIds(grpc::ServerContext* context,
                                   const AllocateProducerIdsRequest* request,
                                   AllocateProducerIdsResponse* response) override {
    if (grpc::Status s =
            AuthorizeBroker(*context, request->broker_id(), "allocate producer ids");
        !s.ok()) {
      return s;
    }
    AllocateProducerIdsRequest req = *request;
    grpc::Status status = WriteAndAnswer(
        node_, context,
        [req](LeaderContext& ctx, const std::shared_ptr<AllocateProducerIdsResponse>& result) {
          auto outcome = ControllerLogic::AllocateProducerIds(ctx.latest, req);
          if (!outcome.ok()) {
            result->set_error(outcome.status().code);
            result->set_error_message(outcome.status().message);
            return WritePlan{};
          }
          // Answered only after the record commits (WriteAndAnswer), so a block a broker
          // uses is never handed out again by a later leader.
          result->set_producer_id_start(outcome->producer_id_start);
          result->set_producer_id_len(outcome->producer_id_len);
          return WritePlan{std::move(outcome->records), nullptr};
        },
        response);
    if (!status.ok()) return status;
    if (response->error() != NONE) {
      return ApiErrorStatus({response->error(), response->error_message()});
    }
    return grpc::Status::OK;
  }

 private:
  // Broker-lifecycle calls carry the broker id they act for; with mutual TLS only that
  // broker's own certificate may make them (docs/security.md).
  grpc::Status AuthorizeBroker(const grpc::ServerContext& context, int32_t broker_id,
                               const char* call) const {
    if (authorizer_ == nullptr) return grpc::Status::OK;
    return authorizer_->AuthorizeBroker(context, broker_id,
                                        absl::StrCat(call, " as broker ", broker_id).c_str());
  }

  ControllerNode* node_;
  const security::ClusterPeerAuthorizer* authorizer_;
};

class ControllerServices::Quorum final : public QuorumService::Service {
 public:
  explicit Quorum(ControllerNode* node) : node_(node) {}

  grpc::Status DescribeQuorum(grpc::ServerContext*, const DescribeQuorumRequest*,
                              DescribeQuorumResponse* response) override {
    QuorumView view = node_->DescribeQuorum();
    response->set_cluster_id(node_->cluster_id());
    response->set_leader_id(static_cast<int32_t>(view.leader_id));
    response->set_leader_epoch(view.leader_epoch);
    response->set_high_watermark(view.high_watermark);
    for (const ReplicaState& r : view.voters) *response->add_voters() = r;
    *response->mutable_leader() = node_->LeaderAddress();
    return grpc::Status::OK;
  }

 private:
  ControllerNode* node_;
};

class ControllerServices::Metadata final : public MetadataService::Service {
 public:
  Metadata(ControllerNode* node, std::atomic<bool>* shutting_down)
      : node_(node), shutting_down_(shutting_down) {}

  grpc::Status WatchMetadata(grpc::ServerContext* context, const WatchMetadataRequest* request,
                             grpc::ServerWriter<WatchMetadataResponse>* writer) override {
    int64_t cursor = request->from_offset();
    int64_t last_sent = cursor;  // offsets go out strictly increasing
    bool need_snapshot = cursor < 0;
    while (!context->IsCancelled() && !shutting_down_->load()) {
      if (need_snapshot) {
        std::vector<metadata::MetadataRecord> records;
        node_->ReadCommitted([&](const metadata::MetadataImage& image) {
          cursor = image.applied_offset();
          records = image.ToRecords();
        });
        last_sent = cursor;
        // In chunks: the image grows with the cluster, a gRPC message must not.
        if (!metadata::WriteSnapshotChunks(
                cursor, 0, std::move(records),
                [&](const WatchMetadataResponse& chunk) { return writer->Write(chunk); })) {
          break;
        }
        need_snapshot = false;
      }
      std::vector<MetadataLogEntry> entries;
      const int64_t before = cursor;
      if (!node_->feed().WaitAfter(&cursor, std::chrono::milliseconds(500), &entries)) {
        need_snapshot = true;  // fell behind the retained tail
        continue;
      }
      for (MetadataLogEntry& e : entries) {
        if (e.offset() <= last_sent) continue;  // each offset at most once, in order
        last_sent = e.offset();
        WatchMetadataResponse event;
        *event.mutable_entry() = std::move(e);
        if (!writer->Write(event)) return grpc::Status::OK;
      }
      if (cursor > before && cursor > last_sent) {
        // Committed entries without metadata (the Raft core's own no-ops): an empty entry
        // tells the watcher how far it is, so "caught up to offset N" is decidable.
        last_sent = cursor;
        WatchMetadataResponse progress;
        progress.mutable_entry()->set_offset(cursor);
        if (!writer->Write(progress)) return grpc::Status::OK;
      }
    }
    return grpc::Status::OK;
  }

 private:
  ControllerNode* node_;
  std::atomic<bool>* shutting_down_;
};

ControllerServices::ControllerServices(ControllerNode* node,
                                       const security::ClusterPeerAuthorizer* authorizer)
    : node_(node),
      admin_(std::make_unique<Admin>(node)),
      lifecycle_(std::make_unique<Lifecycle>(node, authorizer)),
      quorum_(std::make_unique<Quorum>(node)),
      metadata_(std::make_unique<Metadata>(node, &shutting_down_)) {}

ControllerServices::~ControllerServices() = default;

void ControllerServices::RegisterAll(grpc::ServerBuilder* builder) {
  builder->RegisterService(admin_.get());
  builder->RegisterService(lifecycle_.get());
  builder->RegisterService(quorum_.get());
  builder->RegisterService(metadata_.get());
}

}  // namespace keel::controller
