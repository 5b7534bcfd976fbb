// ControllerLogic's broker lifecycle: RegisterBroker, BrokerHeartbeat, FenceExpiredBrokers.
#include "absl/strings/str_cat.h"
#include "controller/logic/controller_logic.h"
#include "controller/logic/partition_moves.h"
#include "controller/logic/proposal.h"

namespace keel::controller {
namespace {

using metadata::MetadataRecord;

absl::Status AddBrokerChange(const metadata::BrokerInfo& broker, metadata::FencingChange fencing,
                             metadata::ControlledShutdownChange shutdown, Proposal& proposal) {
  MetadataRecord record;
  auto* change = record.mutable_broker_registration_change();
  change->set_broker_id(broker.id);
  change->set_broker_epoch(broker.epoch);
  change->set_fencing(fencing);
  change->set_controlled_shutdown(shutdown);
  return proposal.Add(std::move(record));
}

// Takes a copy: `broker` may live in the proposal's image, which the records change.
absl::Status Fence(metadata::BrokerInfo broker, Proposal& proposal) {
  absl::Status s =
      AddBrokerChange(broker, metadata::FENCE, metadata::CONTROLLED_SHUTDOWN_NONE, proposal);
  return s.ok() ? MoveAwayFrom(broker.id, proposal) : s;
}

void SetError(BrokerHeartbeatResponse& response, const ApiError& error) {
  response.set_error(error.code);
  response.set_error_message(FormatApiError(error));
}

}  // namespace

Outcome<RecordsOutcome> ControllerLogic::RegisterBroker(const metadata::MetadataImage& image,
                                                        BrokerHeartbeatTracker& heartbeats,
                                                        const RegisterBrokerRequest& request,
                                                        int64_t now_ms) {
  if (request.broker_id() < 0) {
    return ApiError{INVALID_REQUEST,
                    absl::StrCat("Broker id ", request.broker_id(), " is negative.")};
  }
  if (request.incarnation_id().empty()) {
    return ApiError{INVALID_REQUEST, "A broker registration needs an incarnation id."};
  }
  const metadata::BrokerInfo* existing = image.Broker(request.broker_id());
  if (existing != nullptr && existing->incarnation_id != request.incarnation_id() &&
      heartbeats.IsAlive(request.broker_id(), now_ms)) {
    return ApiError{
        DUPLICATE_BROKER_REGISTRATION,
        absl::StrCat("Another broker is registered with id ", request.broker_id(), " (incarnation ",
                     existing->incarnation_id, ") and its session has not expired.")};
  }
  Proposal proposal(image);
  if (existing != nullptr) {
    // The new registration starts fenced: the old incarnation's leaderships and ISR
    // memberships move away first, as when it is fenced.
    if (absl::Status s = MoveAwayFrom(existing->id, proposal); !s.ok()) {
      return ApiError{UNKNOWN_SERVER_ERROR, std::string(s.message())};
    }
  }
  MetadataRecord record;
  auto* r = record.mutable_register_broker();
  r->set_broker_id(request.broker_id());
  r->set_incarnation_id(request.incarnation_id());
  for (const auto& e : request.endpoints()) *r->add_endpoints() = e;
  r->set_rack(request.rack());
  r->set_fenced(true);
  if (absl::Status s = proposal.Add(std::move(record)); !s.ok()) {
    return ApiError{UNKNOWN_SERVER_ERROR, std::string(s.message())};
  }
  heartbeats.Touch(request.broker_id(), now_ms);
  return RecordsOutcome{proposal.TakeBatch()};
}

HeartbeatOutcome ControllerLogic::BrokerHeartbeat(const metadata::MetadataImage& image,
                                                  BrokerHeartbeatTracker& heartbeats,
                                                  const BrokerHeartbeatRequest& request,
                                                  int64_t now_ms) {
  HeartbeatOutcome out;
  const metadata::BrokerInfo* b = image.Broker(request.broker_id());
  if (b == nullptr || b->epoch != request.broker_epoch()) {
    SetError(
        out.response,
        {STALE_BROKER_EPOCH,
         b == nullptr
             ? absl::StrCat("Broker ", request.broker_id(), " is not registered; register again.")
             : absl::StrCat("Broker ", request.broker_id(), " epoch ", request.broker_epoch(),
                            " is not the current epoch ", b->epoch, "; register again.")});
    return out;
  }
  heartbeats.Touch(b->id, now_ms);
  const bool caught_up = request.current_metadata_offset() >= b->epoch;
  Proposal proposal(image);
  absl::Status s;
  bool shut_down_now = false;
  if (request.want_shutdown()) {
    if (b->fenced) {
      shut_down_now = true;  // it leads nothing and serves nothing: no need to wait
    } else if (!b->in_controlled_shutdown) {
      s = AddBrokerChange(*b, metadata::FENCING_NONE, metadata::CONTROLLED_SHUTDOWN_REQUESTED,
                          proposal);
      if (s.ok()) s = MoveAwayFrom(b->id, proposal);
    }
  } else if (request.want_fence()) {
    if (!b->fenced) s = Fence(*b, proposal);
  } else if (b->fenced && caught_up && !b->in_controlled_shutdown) {
    s = AddBrokerChange(*b, metadata::UNFENCE, metadata::CONTROLLED_SHUTDOWN_NONE, proposal);
    if (s.ok()) s = ElectOfflineLeaders(b->id, proposal);
  }
  if (!s.ok()) {
    SetError(out.response, {UNKNOWN_SERVER_ERROR, std::string(s.message())});
    return out;
  }
  const metadata::BrokerInfo& after = *proposal.image().Broker(b->id);
  out.response.set_is_caught_up(caught_up);
  out.response.set_is_fenced(after.fenced);
  out.response.set_should_shut_down(shut_down_now || (after.in_controlled_shutdown &&
                                                      !LeadsAnyPartition(proposal.image(), b->id)));
  if (out.response.should_shut_down()) {
    // The broker leads nothing and is about to exit: it needs no session, and keeping one
    // would refuse its restarted successor (DUPLICATE_BROKER_REGISTRATION) for a whole
    // session timeout. FenceExpiredBrokers fences it on its next pass.
    heartbeats.Forget(b->id);
  }
  out.records = proposal.TakeBatch();
  return out;
}

metadata::MetadataRecordBatch ControllerLogic::FenceExpiredBrokers(
    const metadata::MetadataImage& image, const BrokerHeartbeatTracker& heartbeats,
    int64_t now_ms) {
  Proposal proposal(image);
  for (const auto& [id, b] : image.brokers()) {
    if (b.fenced || heartbeats.IsAlive(id, now_ms)) continue;
    // Fenced one after another against the proposal's image, so a partition losing two
    // brokers at once ends with a leader that is still alive.
    if (!Fence(*proposal.image().Broker(id), proposal).ok()) {
      return {};  // a bug; fence nothing rather than half a broker
    }
  }
  return proposal.TakeBatch();
}

}  // namespace keel::controller
