// Produce v3-9: acks 0 / 1 / -1 onto the data plane's record-batch entry (acks=-1 waits for
// the ISR and checks min.insync.replicas there). Each partition's records field is decoded
// after the leadership check (batch_conversion.h: CRC, max.message.bytes, compression).
// acks=0 sends no response, as Kafka.
#include <chrono>

#include "broker/kafka/batch_conversion.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/produce.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::ProduceRequest;
using keel::kafka::ProduceResponse;

constexpr char kTimestampTypeConfig[] = "message.timestamp.type";

class ProduceHandler final : public TypedHandler<ProduceRequest, ProduceResponse> {
 public:
  explicit ProduceHandler(BrokerContext* context) : TypedHandler(3, 9), context_(context) {}

 protected:
  Served Serve(const RequestContext&, ProduceRequest& request,
               ProduceResponse* response) override {
    Served served;
    served.respond = request.acks != 0;
    const bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
    const keel::broker::Acks acks = request.acks == 0    ? keel::broker::ACKS_NONE
                                    : request.acks == -1 ? keel::broker::ACKS_ALL
                                                         : keel::broker::ACKS_LEADER;
    const int64_t timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : 30000;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (ProduceRequest::Topic& t : request.topics) {
      ProduceResponse::Topic& out = response->responses.emplace_back();
      out.name = t.name;
      const bool log_append_time = UsesLogAppendTime(t.name);
      for (ProduceRequest::Partition& p : t.partitions) {
        ProduceResponse::Partition& op = out.partitions.emplace_back();
        op.index = p.index;
        op.base_offset = -1;
        if (!acks_valid) {
          op.error_code = KafkaCode(ErrorCode::kInvalidRequiredAcks);
        } else if (request.transactional_id.has_value()) {
          op.error_code = KafkaCode(ErrorCode::kTransactionalIdAuthorizationFailed);
        } else {
          ProducePartition(t.name, p, acks, log_append_time, deadline, &op);
        }
        if (op.error_code != 0) NoteError(op.error_code, &served);
      }
    }
    return served;
  }

 private:
  bool UsesLogAppendTime(const std::string& topic) {
    bool log_append_time = false;
    context_->read_image([&](const controller::MetadataImage& image) {
      const controller::TopicInfo* t = image.TopicByName(topic);
      if (t == nullptr) return;
      auto it = t->configs.find(kTimestampTypeConfig);
      log_append_time = it != t->configs.end() && it->second == "LogAppendTime";
    });
    return log_append_time;
  }

  void ProducePartition(const std::string& topic, ProduceRequest::Partition& p,
                        keel::broker::Acks acks, bool log_append_time,
                        std::chrono::steady_clock::time_point deadline,
                        ProduceResponse::Partition* out) {
    int64_t append_time_ms = -1;
    std::string_view records = p.records.has_value() ? std::string_view(*p.records) : "";
    keel::broker::ProducePartitionResult result;
    context_->data_plane->ProduceRecords(
        topic, p.index, std::nullopt, acks, deadline,
        [&](const TopicPolicy& policy, int64_t now_ms, std::vector<storage::Record>* stored) {
          append_time_ms = now_ms;
          return KafkaRecordsToStorage(records, policy, log_append_time, now_ms, stored);
        },
        &result);
    out->error_code = KafkaCode(result.error());
    if (result.error() != keel::NONE) {
      if (!result.error_message().empty()) out->error_message = result.error_message();
      // An acks=all timeout after the append still names the offset (Kafka answers -1).
      out->base_offset = -1;
      return;
    }
    out->base_offset = result.base_offset();
    if (log_append_time) out->log_append_time_ms = append_time_ms;
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewProduceHandler(BrokerContext* context) {
  return std::make_unique<ProduceHandler>(context);
}

}  // namespace keel::broker::kafka
