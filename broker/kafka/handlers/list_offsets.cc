// ListOffsets v1-7: earliest (-2), latest (-1: the high watermark), or the first offset whose
// timestamp is at or after a time; through the data plane's ListOffsets. v0 (a list of old
// style offsets) is not served: none of the clients we test sends it.
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/list_offsets.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::ListOffsetsRequest;
using keel::kafka::ListOffsetsResponse;

class ListOffsetsHandler final : public TypedHandler<ListOffsetsRequest, ListOffsetsResponse> {
 public:
  explicit ListOffsetsHandler(BrokerContext* context) : TypedHandler(1, 7), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, ListOffsetsRequest& request,
               ListOffsetsResponse* response) override {
    Served served;
    keel::broker::ListOffsetsRequest keel_request;
    for (const auto& t : request.topics) {
      auto* kt = keel_request.add_topics();
      kt->set_topic(t.name);
      for (const auto& p : t.partitions) {
        auto* kp = kt->add_partitions();
        kp->set_partition(p.partition_index);
        kp->set_timestamp_ms(p.timestamp);
      }
    }
    keel::broker::ListOffsetsResponse keel_response;
    context_->data_plane->ListOffsets(keel_request, &keel_response);
    for (int i = 0; i < request.topics.size(); ++i) {
      const auto& t = request.topics[i];
      const auto& kt = keel_response.topics(i);
      ListOffsetsResponse::Topic& out = response->topics.emplace_back();
      out.name = t.name;
      for (int j = 0; j < static_cast<int>(t.partitions.size()); ++j) {
        const auto& p = t.partitions[j];
        const auto& kp = kt.partitions(j);
        ListOffsetsResponse::Partition& op = out.partitions.emplace_back();
        op.partition_index = p.partition_index;
        op.error_code = KafkaCode(kp.error());
        // The latest and earliest answers carry no timestamp (Kafka: -1).
        op.offset = kp.offset();
        op.timestamp = kp.timestamp_ms();
        DataPlane::Leadership l = context_->data_plane->CheckLeader(t.name, p.partition_index);
        if (op.error_code == 0 && l.error == keel::NONE) {
          if (p.current_leader_epoch >= 0 && p.current_leader_epoch != l.leader_epoch) {
            op.error_code = KafkaCode(p.current_leader_epoch < l.leader_epoch
                                          ? ErrorCode::kFencedLeaderEpoch
                                          : ErrorCode::kUnknownLeaderEpoch);
            op.offset = -1;
            op.timestamp = -1;
          } else {
            op.leader_epoch = l.leader_epoch;
          }
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

std::unique_ptr<Handler> NewListOffsetsHandler(BrokerContext* context) {
  return std::make_unique<ListOffsetsHandler>(context);
}

}  // namespace keel::broker::kafka
