// The gRPC GroupService (proto/group.proto): the broker's group coordinator for gRPC
// clients, a thin shell over the same GroupCoordinator and CoordinatorRouter the Kafka
// listener uses (docs/groups.md), so a group is one object whichever protocol its members
// speak. Every call but FindCoordinator checks it reached the group's coordinator
// (NOT_COORDINATOR etc. in the response's error, as Kafka's).
//
// JoinGroup and a follower's SyncGroup wait for the rebalance on the handler's thread (as a
// Kafka JoinGroup waits on its connection's): bounded by the rebalance timeout (the sync: by
// the group's session bound) plus slack, and by the caller's cancellation or deadline; past
// the bound the call fails DEADLINE_EXCEEDED and the client rejoins.
//
// Thread safety: the coordinator and router are thread-safe; this holds no state of its own.
#ifndef KEEL_BROKER_GROUP_SERVICE_H_
#define KEEL_BROKER_GROUP_SERVICE_H_

#include <cstdint>

#include <grpcpp/grpcpp.h>

#include "broker/group/coordinator_router.h"
#include "broker/group/group_coordinator.h"
#include "proto/group.grpc.pb.h"

namespace keel::broker {

// The endpoint FindCoordinator answers: the broker's gRPC listener.
inline constexpr char kGrpcEndpointName[] = "DATA";

class GroupServiceImpl final : public keel::group::GroupService::Service {
 public:
  // Both outlive the service. `wait_slack_ms` is added to a join's or sync's bound.
  GroupServiceImpl(group::GroupCoordinator* coordinator, group::CoordinatorRouter* router,
                   int64_t wait_slack_ms = 5000)
      : coordinator_(coordinator), router_(router), wait_slack_ms_(wait_slack_ms) {}

  grpc::Status FindCoordinator(grpc::ServerContext* context,
                               const keel::group::FindCoordinatorRequest* request,
                               keel::group::FindCoordinatorResponse* response) override;
  grpc::Status JoinGroup(grpc::ServerContext* context,
                         const keel::group::JoinGroupRequest* request,
                         keel::group::JoinGroupResponse* response) override;
  grpc::Status SyncGroup(grpc::ServerContext* context,
                         const keel::group::SyncGroupRequest* request,
                         keel::group::SyncGroupResponse* response) override;
  grpc::Status Heartbeat(grpc::ServerContext* context,
                         const keel::group::HeartbeatRequest* request,
                         keel::group::HeartbeatResponse* response) override;
  grpc::Status LeaveGroup(grpc::ServerContext* context,
                          const keel::group::LeaveGroupRequest* request,
                          keel::group::LeaveGroupResponse* response) override;
  grpc::Status OffsetCommit(grpc::ServerContext* context,
                            const keel::group::OffsetCommitRequest* request,
                            keel::group::OffsetCommitResponse* response) override;
  grpc::Status OffsetFetch(grpc::ServerContext* context,
                           const keel::group::OffsetFetchRequest* request,
                           keel::group::OffsetFetchResponse* response) override;
  grpc::Status DescribeGroups(grpc::ServerContext* context,
                              const keel::group::DescribeGroupsRequest* request,
                              keel::group::DescribeGroupsResponse* response) override;
  grpc::Status ListGroups(grpc::ServerContext* context,
                          const keel::group::ListGroupsRequest* request,
                          keel::group::ListGroupsResponse* response) override;
  grpc::Status DeleteGroups(grpc::ServerContext* context,
                            const keel::group::DeleteGroupsRequest* request,
                            keel::group::DeleteGroupsResponse* response) override;

 private:
  group::GroupCoordinator* const coordinator_;
  group::CoordinatorRouter* const router_;
  const int64_t wait_slack_ms_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_GROUP_SERVICE_H_
