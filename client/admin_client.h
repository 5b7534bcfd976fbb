// AdminClient: the controllers' admin, lifecycle, quorum and metadata services behind one
// object that programs, keelctl and the broker keep for their lifetime.
//
// - One persistent channel per controller (plus any leader address a controller names).
// - Remembers which controller leads and calls it first.
// - Follows redirects: a follower answers UNAVAILABLE with the leader in the trailing metadata
//   `keel-leader-id` / `keel-leader-address`; a successful response's `leader` field also
//   names it.
// - Each attempt has its own deadline (at most `request_timeout_ms`) inside the call's overall
//   timeout; between rounds over all controllers it waits `retry_backoff_ms`.
// - Retries only what is safe to retry. Reads retry every UNAVAILABLE or DEADLINE_EXCEEDED.
//   A write that is not idempotent (CreateTopics, DeleteTopics, CreatePartitions,
//   RegisterBroker) is retried only when the controller said the request never reached a
//   leader (see WriteNeverApplied); a timeout or "may or may not have been applied" is
//   returned to the caller, because a retry could report a misleading error (the topic the
//   first attempt created "already exists") or apply the write twice.
//
// Thread-safe: any number of threads may call at once.
#ifndef KEEL_CLIENT_ADMIN_CLIENT_H_
#define KEEL_CLIENT_ADMIN_CLIENT_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/controller.grpc.pb.h"

namespace keel::client {

struct AdminClientOptions {
  std::vector<std::string> controllers;  // host:port of every controller known
  int64_t request_timeout_ms = 5000;     // cap of one attempt
  int64_t default_timeout_ms = 15000;    // a call's overall timeout unless given
  int64_t retry_backoff_ms = 100;        // pause after a round over every controller failed
  // Builds the channel to an address (e.g. with metrics interceptors); null: MakeChannel.
  std::function<std::shared_ptr<grpc::Channel>(const std::string&)> channel_factory;
};

// True when an UNAVAILABLE answer to a write says the write never became part of the log:
// the controller refused it (not the leader, no leader known, just elected), it was
// overwritten by a new leader, or the connection was never made.
bool WriteNeverApplied(const grpc::Status& status);

class AdminClient {
 public:
  explicit AdminClient(AdminClientOptions options);

  enum class Target { kLeader, kAny };
  enum class Retry {
    kIdempotent,    // reads, heartbeats, epoch-guarded writes: retry any UNAVAILABLE/timeout
    kNotIdempotent  // retry only when WriteNeverApplied
  };
  using Call = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&,
                                          grpc::ClientContext*)>;

  // Runs `call` (which must reset its response) against the believed leader (kLeader) or the
  // last controller that answered (kAny), then the others, following redirects, until it
  // succeeds, fails in a way that is not safe to retry, or `timeout` passes (0: the default).
  // Returns the last status.
  grpc::Status Run(Target target, Retry retry, const Call& call,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // ---- topics and configs (AdminService)
  absl::StatusOr<controller::CreateTopicsResponse> CreateTopics(
      const controller::CreateTopicsRequest& request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // One topic; OK when created.
  absl::Status CreateTopic(const std::string& name, int partitions, int replication_factor,
                           const std::map<std::string, std::string>& configs = {},
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::DeleteTopicsResponse> DeleteTopics(
      const std::vector<std::string>& names,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::CreatePartitionsResponse> CreatePartitions(
      const std::string& topic, int new_total_count,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Incremental: sets `set`, removes `remove`, leaves other keys alone (idempotent).
  absl::StatusOr<controller::AlterConfigsResponse> AlterConfigs(
      const std::string& topic, const std::map<std::string, std::string>& set,
      const std::vector<std::string>& remove,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::ListTopicsResponse> ListTopics(
      bool linearizable = false, std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Empty `names`: every topic.
  absl::StatusOr<controller::DescribeTopicsResponse> DescribeTopics(
      const std::vector<std::string>& names,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::DescribeClusterResponse> DescribeCluster(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // ---- quorum (QuorumService): from any controller, or from the one at `address`
  absl::StatusOr<controller::DescribeQuorumResponse> DescribeQuorum(
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::DescribeQuorumResponse> DescribeQuorumAt(
      const std::string& address, std::chrono::milliseconds timeout);

  // ---- broker lifecycle (BrokerLifecycleService), for brokers
  absl::StatusOr<controller::RegisterBrokerResponse> RegisterBroker(
      const controller::RegisterBrokerRequest& request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<controller::BrokerHeartbeatResponse> BrokerHeartbeat(
      const controller::BrokerHeartbeatRequest& request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  // Guarded by the partition epoch, so a retry cannot apply twice.
  absl::StatusOr<controller::AlterPartitionResponse> AlterPartition(
      const controller::AlterPartitionRequest& request,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // ---- metadata log (MetadataService)
  // Streams the metadata log from the preferred controller (any voter serves its committed
  // log): each event goes to `on_event` until it returns false, the stream ends or fails, or
  // `context` is cancelled (the caller owns the context so that another thread can TryCancel
  // it). Returns the stream's status; a stream that failed makes the next call try another
  // controller. A snapshot sent in chunks (MetadataImageSnapshot.more) reaches `on_event`
  // whole, as one event; a stream that ends inside one is UNAVAILABLE.
  absl::Status WatchMetadata(
      int64_t from_offset, grpc::ClientContext* context,
      const std::function<bool(const controller::WatchMetadataResponse&)>& on_event);

  // The controller believed to lead (host:port), or "" when none is known.
  std::string LeaderAddress() const;
  const std::vector<std::string>& bootstrap() const { return options_.controllers; }

 private:
  // Index of `address` in channels_, adding a channel for an address not seen before.
  size_t IndexOfLocked(const std::string& address);
  std::shared_ptr<grpc::Channel> NewChannel(const std::string& address) const;
  void NoteLeader(const keel::NodeAddress& leader);
  std::chrono::milliseconds TimeoutOr(std::chrono::milliseconds timeout) const;

  const AdminClientOptions options_;
  mutable std::mutex mu_;
  std::vector<std::string> addresses_;                     // guarded by mu_
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // guarded by mu_, parallel
  size_t preferred_ = 0;                                   // guarded by mu_
  bool leader_known_ = false;                              // guarded by mu_
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_ADMIN_CLIENT_H_
