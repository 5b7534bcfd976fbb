#include "controller/raft_transport.h"

#include <chrono>
#include <utility>

namespace keel::controller {

RaftTransport::RaftTransport(uint64_t self_id, const VoterMap& voters,
                             RaftTransportOptions options)
    : self_id_(self_id), options_(options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      options_.channel_credentials != nullptr ? options_.channel_credentials
                                              : grpc::InsecureChannelCredentials();
  for (const auto& [id, address] : voters) {
    voter_ids_.insert(static_cast<int64_t>(id));
    if (id == self_id_) continue;
    auto peer = std::make_unique<Peer>();
    peer->id = id;
    grpc::ChannelArguments args;
    args.SetMaxSendMessageSize(options_.max_message_size_bytes);
    args.SetMaxReceiveMessageSize(options_.max_message_size_bytes);
    // Reconnect quickly after a peer restarts: elections must not wait on gRPC's default
    // exponential backoff, which grows to two minutes.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    std::shared_ptr<grpc::Channel> channel =
        options_.client_metrics != nullptr
            ? options_.client_metrics->CreateChannel(address, credentials, args)
            : grpc::CreateCustomChannel(address, credentials, args);
    peer->stub = raft::RaftService::NewStub(channel);
    Peer* raw = peer.get();
    peer->thread = std::thread([this, raw] { RunSender(raw); });
    peers_.emplace(id, std::move(peer));
  }
}

RaftTransport::~RaftTransport() { Stop(); }

void RaftTransport::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(handler_mu_);
  handler_ = std::move(handler);
}

void RaftTransport::Send(std::vector<raft::Message> messages) {
  for (raft::Message& m : messages) {
    auto it = peers_.find(m.to());
    if (it == peers_.end()) {
      ++dropped_messages_;  // not a voter we know: nothing to deliver to
      continue;
    }
    Peer* peer = it->second.get();
    std::lock_guard<std::mutex> lock(peer->mu);
    if (peer->stopping || peer->queue.size() >= options_.max_queued_messages) {
      ++dropped_messages_;
      continue;
    }
    peer->queue.push_back(std::move(m));
    peer->cv.notify_one();
  }
}

void RaftTransport::Stop() {
  for (auto& [id, peer] : peers_) {
    {
      std::lock_guard<std::mutex> lock(peer->mu);
      peer->stopping = true;
      peer->queue.clear();
      // Do not wait out the deadline of a call to a peer that may itself be gone.
      if (peer->in_flight != nullptr) peer->in_flight->TryCancel();
    }
    peer->cv.notify_all();
  }
  for (auto& [id, peer] : peers_) {
    if (peer->thread.joinable()) peer->thread.join();
  }
}

uint64_t RaftTransport::sent_messages() const { return sent_messages_.load(); }
uint64_t RaftTransport::dropped_messages() const { return dropped_messages_.load(); }

void RaftTransport::RunSender(Peer* peer) {
  while (true) {
    raft::MessageBatch batch;
    {
      std::unique_lock<std::mutex> lock(peer->mu);
      peer->cv.wait(lock, [peer] { return peer->stopping || !peer->queue.empty(); });
      if (peer->stopping) return;
      // Bound a batch so one call never carries an unbounded amount of data.
      size_t bytes = 0;
      while (!peer->queue.empty() && bytes < (4u << 20)) {
        bytes += peer->queue.front().ByteSizeLong();
        *batch.add_messages() = std::move(peer->queue.front());
        peer->queue.pop_front();
      }
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(options_.send_timeout_ms));
    {
      std::lock_guard<std::mutex> lock(peer->mu);
      if (peer->stopping) return;
      peer->in_flight = &context;
    }
    raft::SendResponse response;
    grpc::Status status = peer->stub->Send(&context, batch, &response);
    {
      std::lock_guard<std::mutex> lock(peer->mu);
      peer->in_flight = nullptr;
    }
    if (status.ok()) {
      sent_messages_ += batch.messages_size();
    } else {
      dropped_messages_ += batch.messages_size();
      // Do not spin against a dead peer: Raft will resend what matters on its next tick.
      std::unique_lock<std::mutex> lock(peer->mu);
      peer->cv.wait_for(lock, std::chrono::milliseconds(20), [peer] { return peer->stopping; });
    }
  }
}

grpc::Status RaftTransport::Service::Send(grpc::ServerContext* context,
                                          const raft::MessageBatch* batch, raft::SendResponse*) {
  // Every message of a batch comes from one sender; each is checked so a voter cannot speak
  // for another.
  if (const security::ClusterPeerAuthorizer* authorizer = owner_->options_.authorizer;
      authorizer != nullptr) {
    std::set<uint64_t> checked;
    for (const raft::Message& m : batch->messages()) {
      if (!checked.insert(m.from()).second) continue;
      grpc::Status allowed = authorizer->AuthorizeVoter(
          *context, static_cast<int64_t>(m.from()), owner_->voter_ids_, "send Raft messages");
      if (!allowed.ok()) return allowed;
    }
  }
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(owner_->handler_mu_);
    handler = owner_->handler_;
  }
  if (!handler) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "controller is starting");
  for (const raft::Message& m : batch->messages()) {
    if (m.to() != owner_->self_id_) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "message addressed to node " + std::to_string(m.to()) +
                              " delivered to node " + std::to_string(owner_->self_id_));
    }
  }
  for (const raft::Message& m : batch->messages()) handler(m);
  return grpc::Status::OK;
}

}  // namespace keel::controller
