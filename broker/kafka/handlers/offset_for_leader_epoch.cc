// OffsetForLeaderEpoch v2-4 (KIP-320): the end offset of a leader epoch on the partition's
// leader, so a client that saw epochs can tell whether its position survived a truncation.
// Answers with the largest epoch <= the one asked for and the start of the next epoch (or
// the log end), as Kafka's leader-epoch cache does.
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/offset_for_leader_epoch.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::OffsetForLeaderEpochRequest;
using keel::kafka::OffsetForLeaderEpochResponse;

class OffsetForLeaderEpochHandler final
    : public TypedHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse> {
 public:
  explicit OffsetForLeaderEpochHandler(BrokerContext* context)
      : TypedHandler(2, 4), context_(context) {}

 protected:
  Served Serve(const RequestContext&, OffsetForLeaderEpochRequest& request,
               OffsetForLeaderEpochResponse* response) override {
    Served served;
    for (const auto& t : request.topics) {
      OffsetForLeaderEpochResponse::Topic& out = response->topics.emplace_back();
      out.topic = t.topic;
      for (const auto& p : t.partitions) {
        OffsetForLeaderEpochResponse::Partition& op = out.partitions.emplace_back();
        op.partition = p.partition;
        DataPlane::Leadership l = context_->data_plane->CheckLeader(t.topic, p.partition);
        if (l.error != keel::NONE) {
          op.error_code = KafkaCode(l.error);
        } else if (p.current_leader_epoch >= 0 && p.current_leader_epoch != l.leader_epoch) {
          op.error_code = KafkaCode(p.current_leader_epoch < l.leader_epoch
                                        ? ErrorCode::kFencedLeaderEpoch
                                        : ErrorCode::kUnknownLeaderEpoch);
        } else {
          auto [epoch, end] = l.partition->EndOffsetForEpoch(p.leader_epoch);
          op.leader_epoch = epoch;
          op.end_offset = end;
        }
        if (op.error_code != 0) NoteError(op.error_code, &served);
      }
    }
    return served;
  }

 private:
  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewOffsetForLeaderEpochHandler(BrokerContext* context) {
  return std::make_unique<OffsetForLeaderEpochHandler>(context);
}

}  // namespace keel::broker::kafka
