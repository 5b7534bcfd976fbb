// Moves Raft messages between controllers over gRPC (RaftService.Send).
//
// Delivery is best-effort, which is all Raft needs: a message that cannot be sent is dropped
// and Raft retransmits on its next heartbeat or probe. Each peer has one sender thread that
// drains its queue into a single MessageBatch per call, so a burst of appends to one peer
// costs one round trip, and a slow or dead peer never delays the others.
//
// Thread safety: Send() may be called from any thread. Inbound messages are passed to the
// handler on gRPC's server threads; the handler must be thread-safe (the node loop posts them
// to its inbox).
#ifndef KEEL_CONTROLLER_RAFT_TRANSPORT_H_
#define KEEL_CONTROLLER_RAFT_TRANSPORT_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "controller/voters.h"
#include "observability/grpc_client_metrics.h"
#include "proto/raft.grpc.pb.h"
#include "security/peer_auth.h"

namespace keel::controller {

struct RaftTransportOptions {
  // Messages queued for one peer beyond this are dropped (the peer is far behind or down).
  size_t max_queued_messages = 10000;
  int64_t send_timeout_ms = 2000;
  // Snapshot chunks can be large; both directions accept up to this.
  int max_message_size_bytes = 64 << 20;
  // When set, every peer channel records keel_grpc_client_* with the peer's address as
  // `target`; must outlive the transport.
  observability::GrpcClientMetrics* client_metrics = nullptr;
  // Credentials of the channels to peers; null: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
  // When set (TLS), an inbound batch is accepted only from the certificate of the voter each
  // message names as its sender (docs/security.md); must outlive the transport.
  const security::ClusterPeerAuthorizer* authorizer = nullptr;
};

class RaftTransport {
 public:
  using Handler = std::function<void(raft::Message)>;

  RaftTransport(uint64_t self_id, const VoterMap& voters, RaftTransportOptions options);
  ~RaftTransport();
  RaftTransport(const RaftTransport&) = delete;
  RaftTransport& operator=(const RaftTransport&) = delete;

  // The server side; register it on the process's grpc::ServerBuilder before starting it.
  grpc::Service* service() { return &service_; }
  void SetHandler(Handler handler);

  // Queues messages for their destinations (message.to()); never blocks on the network.
  void Send(std::vector<raft::Message> messages);

  // Stops the sender threads; queued messages are dropped.
  void Stop();

  // Counters for observability and tests.
  uint64_t sent_messages() const;
  uint64_t dropped_messages() const;

 private:
  class Service final : public raft::RaftService::Service {
   public:
    explicit Service(RaftTransport* owner) : owner_(owner) {}
    grpc::Status Send(grpc::ServerContext* context, const raft::MessageBatch* batch,
                      raft::SendResponse* response) override;

   private:
    RaftTransport* owner_;
  };

  struct Peer {
    uint64_t id = 0;
    std::unique_ptr<raft::RaftService::Stub> stub;
    std::mutex mu;
    std::condition_variable cv;
    std::deque<raft::Message> queue;  // guarded by mu
    bool stopping = false;            // guarded by mu
    grpc::ClientContext* in_flight = nullptr;  // guarded by mu; cancelled by Stop()
    std::thread thread;
  };

  void RunSender(Peer* peer);

  const uint64_t self_id_;
  const RaftTransportOptions options_;
  std::set<int64_t> voter_ids_;
  Service service_{this};
  std::map<uint64_t, std::unique_ptr<Peer>> peers_;

  std::mutex handler_mu_;
  Handler handler_;  // guarded by handler_mu_

  std::atomic<uint64_t> sent_messages_{0};
  std::atomic<uint64_t> dropped_messages_{0};
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_RAFT_TRANSPORT_H_
