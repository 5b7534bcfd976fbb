// Produce v0-9 (record batches v2 from v3; see kFirstRecordBatchV2Version): acks 0 / 1 / -1 onto the data plane's record-batch entry (acks=-1 waits for
// the ISR and checks min.insync.replicas there). Each partition's records field is decoded
// after the leadership check (batch_conversion.h: CRC, max.message.bytes, compression).
// acks=0 sends no response, as Kafka. Batches of idempotent producers (a producer id) pass
// the partition's producer state (producer_state.h) before they are appended.
#include <algorithm>
#include <chrono>

#include "broker/kafka/batch_conversion.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "broker/kafka/producer_state.h"
#include "broker/record_conversion.h"
#include "kafka/produce.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::ProduceRequest;
using keel::kafka::ProduceResponse;

constexpr char kTimestampTypeConfig[] = "message.timestamp.type";
// Produce v0-2 carry message formats 0 and 1, which Keel does not take. The range is still
// advertised from v0, as Kafka's is: librdkafka 2.0.2 compresses (gzip, snappy, lz4) only
// for a broker whose Produce range includes v0, and then sends v3+ anyway.
constexpr int16_t kFirstRecordBatchV2Version = 3;
// How far back a new leadership looks for idempotent batches (once per leader epoch).
constexpr int64_t kHistoryRecords = 100000;
constexpr int64_t kHistoryReadBytes = 16 << 20;

class ProduceHandler final : public TypedHandler<ProduceRequest, ProduceResponse> {
 public:
  explicit ProduceHandler(BrokerContext* context) : TypedHandler(0, 9), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, ProduceRequest& request,
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
        if (rc.api_version < kFirstRecordBatchV2Version) {
          op.error_code = KafkaCode(ErrorCode::kUnsupportedForMessageFormat);
        } else if (!acks_valid) {
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
    context_->read_image([&](const metadata::MetadataImage& image) {
      const metadata::TopicInfo* t = image.TopicByName(topic);
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
    const std::pair<std::string, int32_t> key(topic, p.index);
    std::optional<ProducerBatch> idempotent;
    int32_t leader_epoch = -1;
    ProducerStateTable::Decision decision;
    keel::broker::ProducePartitionResult result;
    result.set_base_offset(-1);  // stays -1 unless the batch is appended
    context_->data_plane->ProduceRecords(
        topic, p.index, std::nullopt, acks, deadline,
        [&](const TopicPolicy& policy, int64_t now_ms, std::vector<storage::Record>* stored) {
          append_time_ms = now_ms;
          ProducedBatchInfo info;
          ValidationError v =
              KafkaRecordsToStorage(records, policy, log_append_time, now_ms, stored, &info);
          if (!v.ok() || info.producer_id < 0 || context_->producers == nullptr) return v;
          idempotent = ProducerBatch{info.producer_id, info.producer_epoch, info.base_sequence,
                                     info.record_count};
          DataPlane::Leadership leadership = context_->data_plane->CheckLeader(topic, p.index);
          leader_epoch = leadership.leader_epoch;
          decision = context_->producers->Check(key, leader_epoch, *idempotent, [&] {
            return ProducerHistory(leadership.partition.get());
          });
          switch (decision.verdict) {
            case ProducerStateTable::Verdict::kAppend:
              // Replicated with the batch, so a later leader can rebuild the state.
              if (!stored->empty()) {
                stored->front().headers.push_back(
                    {kProducerStateHeader, EncodeProducerHeader(*idempotent)});
              }
              return v;
            case ProducerStateTable::Verdict::kDuplicate:
              return ValidationError{AsKeel(ErrorCode::kDuplicateSequenceNumber), ""};
            case ProducerStateTable::Verdict::kOutOfOrder:
              return ValidationError{AsKeel(ErrorCode::kOutOfOrderSequenceNumber),
                                     "The batch's sequence does not follow the last one."};
            case ProducerStateTable::Verdict::kFencedEpoch:
              return ValidationError{AsKeel(ErrorCode::kInvalidProducerEpoch),
                                     "A newer epoch of this producer id has written."};
          }
          return v;
        },
        &result);
    if (idempotent.has_value() && result.base_offset() >= 0) {
      // Appended (even if acks=all then timed out): a retry must find it.
      context_->producers->Record(key, leader_epoch, *idempotent, result.base_offset());
    }
    if (result.error() == AsKeel(ErrorCode::kDuplicateSequenceNumber)) {
      // A retry of a stored batch: answered as its first attempt was (KIP-98).
      out->error_code = 0;
      out->base_offset = decision.base_offset;
      return;
    }
    out->error_code = KafkaCode(result.error());
    if (result.error() != keel::NONE) {
      if (!result.error_message().empty()) out->error_message = result.error_message();
      out->base_offset = -1;
      return;
    }
    out->base_offset = result.base_offset();
    if (log_append_time) out->log_append_time_ms = append_time_ms;
  }

  // The idempotent batches among the last kHistoryRecords records of the log, oldest first.
  static std::vector<StoredProducerBatch> ProducerHistory(Partition* partition) {
    std::vector<StoredProducerBatch> out;
    if (partition == nullptr) return out;
    storage::Log* log = partition->log();
    const int64_t end = log->log_end_offset();
    int64_t offset = std::max(log->log_start_offset(), end - kHistoryRecords);
    while (offset < end) {
      auto batches = log->Read(offset, kHistoryReadBytes);
      if (!batches.ok() || batches->empty()) break;
      for (const storage::RecordBatch& b : *batches) {
        offset = b.next_offset();
        // The header sits on the first record of each produced batch, at the batch's base
        // offset; compaction may have merged batches (several headers in one) or removed
        // that record (the batch is then not remembered).
        for (size_t i = 0; i < b.records.size(); ++i) {
          for (const storage::Header& h : b.records[i].headers) {
            if (h.key != kProducerStateHeader) continue;
            if (auto decoded = DecodeProducerHeader(h.value)) out.push_back({*decoded, b.OffsetOf(i)});
          }
        }
      }
    }
    return out;
  }

  static keel::ErrorCode AsKeel(ErrorCode code) { return static_cast<keel::ErrorCode>(code); }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewProduceHandler(BrokerContext* context) {
  return std::make_unique<ProduceHandler>(context);
}

}  // namespace keel::broker::kafka
