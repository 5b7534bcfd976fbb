// Fetch v0-12 for consumers (record batches v2 from v4): the data plane's batch-level long poll, the stored batches
// encoded as record batches v2 with their offsets, leader epochs and timestamps. Fetch
// sessions (KIP-227) are not kept: every answer has session id 0, so clients send full
// fetches. There are no transactions, so the last stable offset is the high watermark.
#include <set>

#include "broker/kafka/batch_conversion.h"
#include "broker/kafka/handlers/common.h"
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/fetch.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ErrorCode;
using keel::kafka::FetchRequest;
using keel::kafka::FetchResponse;

// Fetch v0-3 carry message formats 0/1; advertised (with v0) as Kafka does.
constexpr int16_t kFirstRecordBatchV2Version = 4;

class FetchHandler final : public TypedHandler<FetchRequest, FetchResponse> {
 public:
  explicit FetchHandler(BrokerContext* context) : TypedHandler(0, 12), context_(context) {}

 protected:
  Served Serve(const RequestContext& rc, FetchRequest& request,
               FetchResponse* response) override {
    Served served;
    response->session_id = 0;
    if (rc.api_version < kFirstRecordBatchV2Version) {
      // Fetch v0-3 expect message formats 0/1, which Keel does not down-convert to.
      for (const FetchRequest::Topic& t : request.topics) {
        FetchResponse::Topic& out = response->responses.emplace_back();
        out.topic = t.topic;
        for (const FetchRequest::Partition& p : t.partitions) {
          FetchResponse::Partition& op = out.partitions.emplace_back();
          op.partition_index = p.partition;
          op.error_code = KafkaCode(ErrorCode::kUnsupportedForMessageFormat);
          op.high_watermark = -1;
          NoteError(op.error_code, &served);
        }
      }
      return served;
    }
    if (request.replica_id >= 0) {
      // Followers replicate over gRPC; a Kafka broker's replica fetch is not served.
      response->error_code = KafkaCode(ErrorCode::kInvalidRequest);
      NoteError(response->error_code, &served);
      return served;
    }
    keel::broker::FetchRequest keel_request;
    keel_request.set_max_wait_ms(request.max_wait_ms);
    keel_request.set_min_bytes(request.min_bytes);
    keel_request.set_max_bytes(request.max_bytes);
    for (const FetchRequest::Topic& t : request.topics) {
      auto* kt = keel_request.add_topics();
      kt->set_topic(t.topic);
      for (const FetchRequest::Partition& p : t.partitions) {
        auto* kp = kt->add_partitions();
        kp->set_partition(p.partition);
        kp->set_fetch_offset(p.fetch_offset);
        kp->set_partition_max_bytes(p.partition_max_bytes);
        kp->set_current_leader_epoch(p.current_leader_epoch);
      }
    }
    std::vector<DataPlane::FetchedPartition> fetched;
    context_->data_plane->FetchBatches(keel_request, &fetched, rc.closing);
    std::set<std::string> log_append_time_topics = LogAppendTimeTopics(request);
    size_t next = 0;
    for (const FetchRequest::Topic& t : request.topics) {
      FetchResponse::Topic& out = response->responses.emplace_back();
      out.topic = t.topic;
      const bool log_append_time = log_append_time_topics.count(t.topic) > 0;
      for (size_t i = 0; i < t.partitions.size() && next < fetched.size(); ++i) {
        DataPlane::FetchedPartition& f = fetched[next++];
        FetchResponse::Partition& op = out.partitions.emplace_back();
        op.partition_index = f.data.partition();
        op.error_code = KafkaCode(f.data.error());
        op.high_watermark = f.data.high_watermark();
        op.last_stable_offset = f.data.high_watermark();
        op.log_start_offset = f.data.log_start_offset();
        if (f.data.error() != keel::NONE) {
          NoteError(op.error_code, &served);
          if (f.data.has_leader() && f.data.leader().node_id() >= 0) {
            op.current_leader.leader_id = f.data.leader().node_id();
          }
        }
        std::string records;
        records.reserve(EncodedSizeEstimate(f.batches));
        for (storage::RecordBatch& b : f.batches) {
          AppendKafkaBatch(std::move(b), log_append_time, &records);
        }
        op.records = std::move(records);
      }
    }
    return served;
  }

 protected:
  size_t SizeHint(const FetchResponse& response) const override {
    size_t bytes = 256;
    for (const auto& t : response.responses) {
      bytes += t.topic.size() + 64 * t.partitions.size();
      for (const auto& p : t.partitions) bytes += p.records.has_value() ? p.records->size() : 0;
    }
    return bytes;
  }

 private:
  // Batch header plus per-record framing (at most ~24 bytes each) plus the contents.
  static size_t EncodedSizeEstimate(const std::vector<storage::RecordBatch>& batches) {
    size_t bytes = 0;
    for (const storage::RecordBatch& b : batches) {
      bytes += 61;
      for (const storage::Record& r : b.records) {
        bytes += 24 + r.key.size() + r.value.size();
        for (const storage::Header& h : r.headers) bytes += 10 + h.key.size() + h.value.size();
      }
    }
    return bytes;
  }

  std::set<std::string> LogAppendTimeTopics(const FetchRequest& request) {
    std::set<std::string> out;
    context_->read_image([&](const metadata::MetadataImage& image) {
      for (const FetchRequest::Topic& t : request.topics) {
        const metadata::TopicInfo* info = image.TopicByName(t.topic);
        if (info == nullptr) continue;
        auto it = info->configs.find("message.timestamp.type");
        if (it != info->configs.end() && it->second == "LogAppendTime") out.insert(t.topic);
      }
    });
    return out;
  }

  BrokerContext* const context_;
};

}  // namespace

std::unique_ptr<Handler> NewFetchHandler(BrokerContext* context) {
  return std::make_unique<FetchHandler>(context);
}

}  // namespace keel::broker::kafka
