// GroupClient: a thin client of the brokers' GroupService (proto/group.proto), the consumer
// group coordinator of Kafka's classic protocol (docs/groups.md). One method per RPC, each
// returning the service's response; the per-item errors stay in it (keel::ErrorCode with
// Kafka's numbers), a non-OK status means no answer was had.
//
// Routing: each call but ListGroups goes to its group's coordinator, found with
// FindCoordinator through any bootstrap broker and cached per group. NOT_COORDINATOR and
// COORDINATOR_NOT_AVAILABLE (the group moved, or its coordinator is being elected) forget
// the cached coordinator and find it again; COORDINATOR_LOAD_IN_PROGRESS asks the same
// broker again; a broker that cannot be reached (UNAVAILABLE) is forgotten too. Retries
// pause with a doubling backoff (retry_backoff_ms .. retry_backoff_max_ms) and stop at the
// call's deadline; then the last response is returned as it is (its error set) or, if none
// came, DEADLINE_EXCEEDED. Other errors (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, ...)
// are the caller's: the member's state machine decides what to do.
//
// Deadlines: `timeout` 0 means request_timeout_ms, except JoinGroup, which waits for the
// rebalance on the broker: its default is the request's rebalance_timeout_ms (or session
// timeout) plus request_timeout_ms, as Kafka's consumer allows.
//
// Thread safety: every method is thread-safe; calls run concurrently (one channel per broker
// address, shared with the MetadataCache when one is given); no lock is held across a call.
#ifndef KEEL_CLIENT_GROUP_CLIENT_H_
#define KEEL_CLIENT_GROUP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "client/channels.h"
#include "client/metadata_cache.h"
#include "proto/group.grpc.pb.h"

namespace keel::client {

struct GroupClientOptions {
  std::vector<std::string> bootstrap_brokers;  // gRPC host:port of any brokers
  int64_t request_timeout_ms = 30000;          // a call's deadline, retries included
  int64_t retry_backoff_ms = 50;               // first pause before a retry
  int64_t retry_backoff_max_ms = 1000;         // the pause doubles up to this
};

class GroupClient {
 public:
  using Timeout = std::chrono::milliseconds;

  // `cache` (optional) lends its channels, so a Consumer's data and group calls to one broker
  // share a connection.
  explicit GroupClient(GroupClientOptions options, std::shared_ptr<MetadataCache> cache = nullptr);

  absl::StatusOr<keel::group::FindCoordinatorResponse> FindCoordinator(
      const std::string& group_id, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::JoinGroupResponse> JoinGroup(
      const keel::group::JoinGroupRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::SyncGroupResponse> SyncGroup(
      const keel::group::SyncGroupRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::HeartbeatResponse> Heartbeat(
      const keel::group::HeartbeatRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::LeaveGroupResponse> LeaveGroup(
      const keel::group::LeaveGroupRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::OffsetCommitResponse> OffsetCommit(
      const keel::group::OffsetCommitRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::OffsetFetchResponse> OffsetFetch(
      const keel::group::OffsetFetchRequest& request, Timeout timeout = Timeout(0));
  // Each group is asked of its own coordinator; the answers come in the order asked.
  absl::StatusOr<keel::group::DescribeGroupsResponse> DescribeGroups(
      const keel::group::DescribeGroupsRequest& request, Timeout timeout = Timeout(0));
  absl::StatusOr<keel::group::DeleteGroupsResponse> DeleteGroups(
      const keel::group::DeleteGroupsRequest& request, Timeout timeout = Timeout(0));
  // The groups the broker at `broker_address` coordinates (ask every broker for all of them,
  // as kafka-consumer-groups --list does).
  absl::StatusOr<keel::group::ListGroupsResponse> ListGroups(
      const std::string& broker_address, const keel::group::ListGroupsRequest& request,
      Timeout timeout = Timeout(0));

  // The cached coordinator address of `group_id` ("" when none is cached).
  std::string CachedCoordinator(const std::string& group_id) const;
  // Drops the cached coordinator (the next call finds it again).
  void ForgetCoordinator(const std::string& group_id);

 private:
  using Clock = std::chrono::steady_clock;
  // One attempt against the coordinator at a channel: sets the response, returns the status.
  using Attempt = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&,
                                             grpc::ClientContext*)>;
  // The response's group-level error after an OK attempt.
  using ErrorOf = std::function<keel::ErrorCode()>;

  // Runs `attempt` on the group's coordinator until it answers without a coordinator error
  // or `deadline` passes. OK when a response was had (possibly still carrying a coordinator
  // error, at the deadline); else why not.
  absl::Status CallCoordinator(const std::string& group_id, Clock::time_point deadline,
                               const Attempt& attempt, const ErrorOf& error_of);
  // The group's coordinator address, finding it when not cached.
  absl::StatusOr<std::string> Coordinator(const std::string& group_id, Clock::time_point deadline);
  std::shared_ptr<grpc::Channel> Channel(const std::string& address);
  Clock::time_point DeadlineFor(Timeout timeout) const;
  // Sleeps `*backoff_ms` (not past `deadline`) and doubles it; false when the deadline passed.
  bool Backoff(int64_t* backoff_ms, Clock::time_point deadline) const;

  const GroupClientOptions options_;
  const std::shared_ptr<MetadataCache> cache_;
  ChannelPool channels_;  // when no cache lends its own

  mutable std::mutex mu_;
  std::map<std::string, std::string> coordinators_;  // group -> host:port, guarded by mu_
  size_t bootstrap_next_ = 0;                        // guarded by mu_
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_GROUP_CLIENT_H_
