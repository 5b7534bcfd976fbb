#include "client/producer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "client/channels.h"
#include "client/errors.h"
#include "client/produce_encoding.h"

namespace keel::client {
namespace {

using std::chrono::milliseconds;

// The broker's accounting of a record's size (broker/record_conversion.cc), so that
// batch.size and max.request.size mean the same bytes on both sides.
constexpr int64_t kRecordOverheadBytes = 24;
constexpr int64_t kHeaderOverheadBytes = 8;
// The sender wakes at least this often while it has work, to notice expiring batches.
constexpr auto kMaxSenderSleep = milliseconds(100);

const std::vector<std::pair<std::string, std::string>> kNoHeaders;

int64_t RecordBytes(const ProducerRecordView& r) {
  int64_t bytes = kRecordOverheadBytes +
                  (r.value.has_value() ? static_cast<int64_t>(r.value->size()) : 0) +
                  (r.key.has_value() ? static_cast<int64_t>(r.key->size()) : 0);
  if (r.headers != nullptr) {
    for (const auto& [k, v] : *r.headers) {
      bytes += kHeaderOverheadBytes + static_cast<int64_t>(k.size() + v.size());
    }
  }
  return bytes;
}

}  // namespace

struct Producer::Batch {
  uint64_t id = 0;
  std::string topic;
  int32_t partition = 0;
  std::string encoded;                  // the records, as ProducePartitionData.records entries
  std::vector<SendCallback> callbacks;  // one per record, same order
  int64_t bytes = 0;                    // counted against buffer.memory
  Clock::time_point created;
  Clock::time_point retry_at{};
  int attempts = 0;
  bool full = false;   // takes no more records
  bool alone = false;  // send without merging (after MESSAGE_TOO_LARGE of a merged call)
};

struct Producer::PartitionQueue {
  std::deque<std::unique_ptr<Batch>> batches;
  bool in_flight = false;  // a call carrying this partition is out
};

struct Producer::Call {
  struct Entry {
    std::string topic;
    int32_t partition = 0;
    std::vector<std::unique_ptr<Batch>> batches;  // merged into one broker batch, in order
  };
  std::string address;
  grpc::ClientContext context;
  grpc::ByteBuffer request;
  grpc::ByteBuffer response;
  grpc::Status status;
  broker::ProduceResponse parsed;  // valid when status is OK
  int64_t bytes = 0;
  std::vector<Entry> entries;
};

struct Producer::Done {
  uint64_t batch_id = 0;  // outstanding until its callbacks have run (Flush waits for that)
  std::vector<SendCallback> callbacks;
  absl::Status status;
  std::string topic;
  int32_t partition = 0;
  int64_t base_offset = -1;
};

absl::StatusOr<std::unique_ptr<Producer>> Producer::Create(const Properties& properties,
                                                           std::shared_ptr<MetadataCache> metadata) {
  auto config = ProducerConfig::FromProperties(properties);
  if (!config.ok()) return config.status();
  if (metadata == nullptr) {
    auto cache = MetadataCache::FromBootstrap(config->bootstrap_controllers,
                                              config->bootstrap_servers,
                                              config->metadata_max_age_ms);
    if (!cache.ok()) return cache.status();
    metadata = std::move(*cache);
  }
  return std::make_unique<Producer>(*config, std::move(metadata));
}

Producer::Producer(ProducerConfig config, std::shared_ptr<MetadataCache> metadata)
    : config_(std::move(config)), metadata_(std::move(metadata)) {
  sender_ = std::thread([this] { SenderLoop(); });
}

Producer::~Producer() {
  Close(milliseconds(config_.delivery_timeout_ms)).IgnoreError();
}

absl::StatusOr<int32_t> Producer::ChoosePartition(const ProducerRecordView& record,
                                                  int32_t num_partitions) {
  if (record.partition >= 0) {
    if (record.partition >= num_partitions) {
      return absl::InvalidArgumentError(absl::StrCat("partition ", record.partition, " of topic '",
                                                     record.topic, "' does not exist (it has ",
                                                     num_partitions, ")"));
    }
    return record.partition;
  }
  if (record.key.has_value()) return KeyPartition(*record.key, num_partitions);
  return sticky_.Partition(record.topic, num_partitions);
}

Producer::PartitionQueue& Producer::QueueLocked(absl::string_view topic, int32_t partition) {
  auto found = queues_.find(topic);
  if (found == queues_.end()) {
    found = queues_.emplace(std::string(topic), std::vector<std::unique_ptr<PartitionQueue>>()).first;
  }
  auto& queues = found->second;
  if (queues.size() <= static_cast<size_t>(partition)) queues.resize(partition + 1);
  if (queues[partition] == nullptr) queues[partition] = std::make_unique<PartitionQueue>();
  return *queues[partition];
}

absl::Status Producer::Send(ProducerRecord record, SendCallback callback) {
  ProducerRecordView view;
  view.topic = record.topic;
  if (record.key.has_value()) view.key = absl::string_view(*record.key);
  if (record.value.has_value()) view.value = absl::string_view(*record.value);
  view.headers = &record.headers;
  view.partition = record.partition;
  view.timestamp_ms = record.timestamp_ms;
  return Send(view, std::move(callback));
}

absl::Status Producer::Send(const ProducerRecordView& record, SendCallback callback) {
  const auto deadline = Clock::now() + milliseconds(config_.max_block_ms);
  const int64_t bytes = RecordBytes(record);
  if (bytes > config_.max_request_size_bytes || bytes > config_.buffer_memory_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RecordTooLargeException: the record is ", bytes, " bytes, more than max.request.size (",
        config_.max_request_size_bytes, ") or buffer.memory (", config_.buffer_memory_bytes, ")"));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return absl::FailedPreconditionError("the producer is closed");
  }
  std::shared_ptr<const TopicMetadata> topic = metadata_->Cached(record.topic);
  if (topic == nullptr || topic->partitions.empty()) {
    auto fetched =
        metadata_->Topic(std::string(record.topic), milliseconds(config_.max_block_ms));
    if (!fetched.ok()) return fetched.status();
    topic = *fetched;
  }
  const auto num_partitions = static_cast<int32_t>(topic->partitions.size());
  if (num_partitions == 0) {
    return absl::UnavailableError(absl::StrCat("topic '", record.topic, "' has no partitions"));
  }
  auto partition = ChoosePartition(record, num_partitions);
  if (!partition.ok()) return partition.status();
  const bool sticky = record.partition < 0 && !record.key.has_value();

  std::unique_lock<std::mutex> lock(mu_);
  if (!space_cv_.wait_until(lock, deadline, [&] {
        return closing_ || buffer_used_bytes_ + bytes <= config_.buffer_memory_bytes;
      })) {
    return absl::DeadlineExceededError(absl::StrCat(
        "TimeoutException: no room for the record in buffer.memory (",
        config_.buffer_memory_bytes, " bytes) within max.block.ms (", config_.max_block_ms,
        " ms)"));
  }
  if (closing_) return absl::FailedPreconditionError("the producer is closed");

  auto fits_in = [&](PartitionQueue& q) -> Batch* {
    if (q.batches.empty()) return nullptr;
    Batch* last = q.batches.back().get();
    if (last->full || last->attempts > 0 || last->bytes + bytes > config_.batch_size_bytes) {
      return nullptr;
    }
    return last;
  };
  PartitionQueue* queue = &QueueLocked(record.topic, *partition);
  Batch* batch = fits_in(*queue);
  if (batch == nullptr && sticky) {
    // KIP-480: a new batch starts, so keyless records move to another partition (once).
    sticky_.OnNewBatch(record.topic, *partition, num_partitions);
    *partition = sticky_.Partition(record.topic, num_partitions);
    queue = &QueueLocked(record.topic, *partition);
    batch = fits_in(*queue);
  }
  bool wake_sender = false;
  if (batch == nullptr) {
    if (!queue->batches.empty()) queue->batches.back()->full = true;
    auto fresh = std::make_unique<Batch>();
    fresh->id = next_batch_id_++;
    fresh->topic = std::string(record.topic);
    fresh->partition = *partition;
    fresh->created = Clock::now();
    fresh->encoded = TakeBufferLocked();
    outstanding_batches_.insert(fresh->id);
    batch = fresh.get();
    queue->batches.push_back(std::move(fresh));
    wake_sender = true;  // a linger deadline (or a full predecessor) to act on
  }
  AppendRecordEntry(record.key, record.value,
                    record.headers != nullptr ? *record.headers : kNoHeaders, record.timestamp_ms,
                    &batch->encoded);
  batch->callbacks.push_back(std::move(callback));
  batch->bytes += bytes;
  buffer_used_bytes_ += bytes;
  if (batch->bytes >= config_.batch_size_bytes) {
    batch->full = true;
    wake_sender = true;
  }
  lock.unlock();
  if (wake_sender) sender_cv_.notify_one();
  return absl::OkStatus();
}

std::future<absl::StatusOr<RecordMetadata>> Producer::Send(ProducerRecord record) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<RecordMetadata>>>();
  auto future = promise->get_future();
  absl::Status status = Send(std::move(record), [promise](const absl::StatusOr<RecordMetadata>& r) {
    promise->set_value(r);
  });
  if (!status.ok()) promise->set_value(status);
  return future;
}

void Producer::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t last_id = next_batch_id_ - 1;
  ++flushing_;
  sender_cv_.notify_one();
  space_cv_.wait(lock, [&] {
    return sender_done_ || outstanding_batches_.empty() ||
           *outstanding_batches_.begin() > last_id;
  });
  --flushing_;
}

absl::Status Producer::Close(milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  bool forced = false;
  if (!sender_done_) {
    closing_ = true;
    sender_cv_.notify_one();
    space_cv_.notify_all();  // Send() calls blocked on memory give up
    if (!space_cv_.wait_until(lock, Clock::now() + timeout, [&] { return sender_done_; })) {
      forced = true;
      force_close_ = true;
      sender_cv_.notify_one();
      // The sender cancels the calls still out; their answers come back at once.
      space_cv_.wait(lock, [&] { return sender_done_; });
    }
  }
  lock.unlock();
  if (sender_.joinable() && sender_.get_id() != std::this_thread::get_id()) sender_.join();
  if (forced) {
    return absl::DeadlineExceededError(
        "the producer closed before every record was acknowledged; the rest failed");
  }
  return absl::OkStatus();
}

ProducerMetrics Producer::metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  ProducerMetrics m = metrics_;
  m.buffer_used_bytes = buffer_used_bytes_;
  return m;
}

size_t Producer::PooledBufferBytes() const {
  // Wire-format framing makes an encoded batch a little larger than its batch.size count.
  return static_cast<size_t>(std::min(config_.batch_size_bytes, config_.max_request_size_bytes) +
                             config_.batch_size_bytes / 8 + 64);
}

std::string Producer::TakeBufferLocked() {
  if (!free_buffers_.empty()) {
    std::string buffer = std::move(free_buffers_.back());
    free_buffers_.pop_back();
    return buffer;
  }
  std::string buffer;
  buffer.reserve(PooledBufferBytes());
  return buffer;
}

void Producer::RecycleBufferLocked(std::string* buffer) {
  // Like Kafka's BufferPool: batch-sized buffers are reused, not freed, so a busy producer
  // neither calls malloc/free per batch nor faults fresh pages in. A buffer that grew past
  // the pool size (a large record) is freed; the pool never holds more than buffer.memory.
  if (buffer->capacity() < PooledBufferBytes() || buffer->capacity() > 2 * PooledBufferBytes()) {
    return;
  }
  if (static_cast<int64_t>((free_buffers_.size() + 1) * PooledBufferBytes()) >
      config_.buffer_memory_bytes) {
    return;
  }
  buffer->clear();
  free_buffers_.push_back(std::move(*buffer));
}

bool Producer::IdleLocked() const {
  if (in_flight_calls_ > 0 || !pending_done_.empty()) return false;
  for (const auto& [topic, queues] : queues_) {
    for (const auto& q : queues) {
      if (q != nullptr && !q->batches.empty()) return false;
    }
  }
  return true;
}

void Producer::FailBatchLocked(Batch* batch, const absl::Status& status, std::vector<Done>* done) {
  Done d;
  d.batch_id = batch->id;
  d.callbacks = std::move(batch->callbacks);
  d.status = status;
  d.topic = batch->topic;
  d.partition = batch->partition;
  metrics_.records_failed += static_cast<int64_t>(d.callbacks.size());
  buffer_used_bytes_ -= batch->bytes;
  RecycleBufferLocked(&batch->encoded);
  done->push_back(std::move(d));
}

void Producer::FailAllLocked(const absl::Status& status, std::vector<Done>* done) {
  for (auto& [topic, queues] : queues_) {
    for (auto& q : queues) {
      if (q == nullptr) continue;
      for (auto& b : q->batches) FailBatchLocked(b.get(), status, done);
      q->batches.clear();
    }
  }
}

void Producer::ExpireLocked(Clock::time_point now, std::vector<Done>* done) {
  const auto timeout = milliseconds(config_.delivery_timeout_ms);
  for (auto& [topic, queues] : queues_) {
    for (size_t p = 0; p < queues.size(); ++p) {
      if (queues[p] == nullptr) continue;
      auto& batches = queues[p]->batches;
      for (auto it = batches.begin(); it != batches.end();) {
        Batch* b = it->get();
        if (now - b->created < timeout) {
          ++it;
          continue;
        }
        FailBatchLocked(
            b,
            absl::DeadlineExceededError(absl::StrCat(
                "TimeoutException: expiring ", b->callbacks.size(), " record(s) for ", topic, "-",
                p, ": delivery.timeout.ms (", config_.delivery_timeout_ms,
                " ms) passed since the batch was created")),
            done);
        it = batches.erase(it);
      }
    }
  }
}

Producer::Clock::time_point Producer::NextWakeLocked(Clock::time_point now) const {
  Clock::time_point wake = now + kMaxSenderSleep;
  const auto linger = milliseconds(config_.linger_ms);
  for (const auto& [topic, queues] : queues_) {
    for (const auto& q : queues) {
      if (q == nullptr || q->batches.empty()) continue;
      const Batch* front = q->batches.front().get();
      wake = std::min(wake, front->created + milliseconds(config_.delivery_timeout_ms));
      if (q->in_flight) continue;  // its completion wakes the sender
      Clock::time_point ready = front->full || q->batches.size() > 1 || flushing_ > 0 || closing_
                                    ? now
                                    : front->created + linger;
      ready = std::max(ready, front->retry_at);
      // A ready partition that could not be sent (leader unknown, connection busy) is retried
      // after a short pause, not in a busy loop.
      if (ready <= now) ready = now + milliseconds(std::max<int64_t>(1, config_.retry_backoff_ms / 10));
      wake = std::min(wake, ready);
    }
  }
  return wake;
}

std::vector<std::unique_ptr<Producer::Call>> Producer::DrainLocked(Clock::time_point now,
                                                                   std::set<std::string>* refresh) {
  std::vector<std::unique_ptr<Call>> calls;
  absl::flat_hash_map<std::string, Call*> by_address;
  const auto linger = milliseconds(config_.linger_ms);
  const bool hurry = flushing_ > 0 || closing_;
  auto sendable = [&](const Batch& b) { return b.full || hurry || now >= b.created + linger; };
  for (auto& [topic, queues] : queues_) {
    std::shared_ptr<const TopicMetadata> metadata;
    bool looked_up = false;
    for (size_t p = 0; p < queues.size(); ++p) {
      PartitionQueue* q = queues[p].get();
      if (q == nullptr || q->in_flight || q->batches.empty()) continue;
      Batch* front = q->batches.front().get();
      if (front->retry_at > now) continue;
      if (!(sendable(*front) || q->batches.size() > 1)) continue;
      if (refresh_topics_.count(topic) > 0) {
        refresh->insert(topic);
        continue;
      }
      if (!looked_up) {
        metadata = metadata_->Cached(topic);
        looked_up = true;
      }
      const PartitionMetadata* pm =
          metadata == nullptr ? nullptr : metadata->Find(static_cast<int32_t>(p));
      if (pm == nullptr || pm->leader_address.empty()) {
        refresh->insert(topic);
        continue;
      }
      Call*& call = by_address[pm->leader_address];
      if (call == nullptr) {
        if (in_flight_per_address_[pm->leader_address] >=
            config_.max_in_flight_requests_per_connection) {
          continue;
        }
        calls.push_back(std::make_unique<Call>());
        call = calls.back().get();
        call->address = pm->leader_address;
        ++in_flight_per_address_[pm->leader_address];
        ++in_flight_calls_;
      }
      if (call->bytes > 0 && call->bytes + front->bytes > config_.max_request_size_bytes) continue;
      Call::Entry entry;
      entry.topic = topic;
      entry.partition = static_cast<int32_t>(p);
      // The front batch, then the ready batches behind it while they fit: one broker batch.
      while (!q->batches.empty()) {
        Batch* b = q->batches.front().get();
        if (!entry.batches.empty()) {
          if (b->alone || entry.batches.front()->alone || !sendable(*b) ||
              call->bytes + b->bytes > config_.max_request_size_bytes) {
            break;
          }
        }
        b->full = true;  // no more appends once it left
        call->bytes += b->bytes;
        entry.batches.push_back(std::move(q->batches.front()));
        q->batches.pop_front();
      }
      q->in_flight = true;
      call->entries.push_back(std::move(entry));
    }
  }
  return calls;
}

void Producer::StartCall(Call* call) {
  // Encoded here, without mu_ (on the sender thread or a gRPC completion thread): the call
  // owns its batches now.
  std::vector<EncodedTopic> topics;
  for (const Call::Entry& entry : call->entries) {
    if (topics.empty() || topics.back().topic != entry.topic) {
      // Entries of one topic are adjacent (DrainLocked walks topic by topic).
      topics.emplace_back();
      topics.back().topic = entry.topic;
    }
    EncodedPartition partition;
    partition.partition = entry.partition;
    for (const auto& b : entry.batches) partition.record_runs.push_back(&b->encoded);
    topics.back().partitions.push_back(std::move(partition));
  }
  // The batches' bytes go out as slices pointing into the batches, which the call owns until
  // its completion has been handled; only the few framing bytes are copied.
  WirePieces wire;
  EncodeProduceRequestPieces(config_.acks, static_cast<int32_t>(config_.request_timeout_ms),
                             topics, &wire);
  std::vector<grpc::Slice> slices;
  slices.reserve(wire.pieces.size());
  for (size_t i = 0; i < wire.pieces.size(); ++i) {
    absl::string_view piece = wire.pieces[i];
    if (wire.is_framing[i]) {
      slices.emplace_back(piece.data(), piece.size());  // copied
    } else {
      slices.emplace_back(piece.data(), piece.size(), grpc::Slice::STATIC_SLICE);
    }
  }
  call->request = grpc::ByteBuffer(slices.data(), slices.size());
  call->context.set_deadline(std::chrono::system_clock::now() +
                             milliseconds(config_.request_timeout_ms));
  std::shared_ptr<grpc::GenericStub> stub;
  {
    std::lock_guard<std::mutex> lock(stubs_mu_);
    auto& cached = stubs_[call->address];
    if (cached == nullptr) {
      cached = std::make_shared<grpc::GenericStub>(metadata_->Channel(call->address));
    }
    stub = cached;
  }
  stub->UnaryCall(&call->context, "/keel.broker.BrokerService/Produce", grpc::StubOptions(),
                  &call->request, &call->response,
                  [this, call](grpc::Status status) { OnCallDone(call, std::move(status)); });
}

void Producer::OnCallDone(Call* call, grpc::Status status) {
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (call->response.Dump(&slices).ok()) {
      for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    if (!call->parsed.ParseFromString(bytes)) {
      status = grpc::Status(grpc::StatusCode::INTERNAL, "the broker's Produce answer does not parse");
    }
  }
  call->status = std::move(status);
  std::vector<std::unique_ptr<Call>> next;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out_.erase(call);
    HandleCallLocked(call, &pending_done_);
    finished_.emplace_back(call);
    if (!force_close_) {
      // The partitions this answer freed (and any others ready) go out now. Topics that need
      // a metadata refresh are found again, and refreshed, by the sender thread.
      std::set<std::string> refresh;
      next = DrainLocked(Clock::now(), &refresh);
      for (auto& c : next) out_.insert(c.get());
    }
    // Notified under mu_: once it is released the sender may see the producer idle and the
    // producer may be destroyed; only StartCall of calls counted in flight may follow.
    sender_cv_.notify_one();
    space_cv_.notify_all();  // memory freed
  }
  for (auto& c : next) StartCall(c.release());
}

void Producer::HandleCallLocked(Call* call, std::vector<Done>* done) {
  --in_flight_calls_;
  --in_flight_per_address_[call->address];
  ++metrics_.requests;
  const auto now = Clock::now();
  for (Call::Entry& entry : call->entries) {
    const std::string& topic = entry.topic;
    const int32_t partition = entry.partition;
    QueueLocked(topic, partition).in_flight = false;

    keel::ErrorCode error = keel::NONE;
    std::string message;
    int64_t base_offset = -1;
    keel::NodeAddress leader;
    if (!call->status.ok()) {
      error = IsRetriable(call->status) ? keel::REQUEST_TIMED_OUT : keel::UNKNOWN_SERVER_ERROR;
      message = absl::StrCat("Produce to ", call->address, " failed: ",
                             call->status.error_message());
      if (IsRetriable(call->status)) {
        error = keel::BROKER_NOT_AVAILABLE;
        refresh_topics_.insert(topic);
      }
    } else {
      const broker::ProducePartitionResult* result = nullptr;
      for (const auto& tr : call->parsed.topics()) {
        if (tr.topic() != topic) continue;
        for (const auto& pr : tr.partitions()) {
          if (pr.partition() == partition) result = &pr;
        }
      }
      if (result == nullptr) {
        error = keel::UNKNOWN_SERVER_ERROR;
        message = absl::StrCat("the broker's answer lacks ", topic, "-", partition);
      } else {
        error = result->error();
        message = result->error_message();
        base_offset = result->base_offset();
        leader = result->leader();
      }
    }

    if (error == keel::NONE) {
      int64_t offset = base_offset;
      for (auto& b : entry.batches) {
        Done d;
        d.batch_id = b->id;
        d.callbacks = std::move(b->callbacks);
        d.topic = topic;
        d.partition = partition;
        d.base_offset = offset;
        offset += static_cast<int64_t>(d.callbacks.size());
        metrics_.records_sent += static_cast<int64_t>(d.callbacks.size());
        ++metrics_.batches_sent;
        buffer_used_bytes_ -= b->bytes;
        RecycleBufferLocked(&b->encoded);
        done->push_back(std::move(d));
      }
      continue;
    }

    const bool split = error == keel::MESSAGE_TOO_LARGE && entry.batches.size() > 1;
    const bool retriable = split || IsRetriable(error);
    if (retriable && error == keel::NOT_LEADER_OR_FOLLOWER && !leader.address().empty()) {
      metadata_->HintLeader(topic, partition, leader);
    } else if (retriable && !split) {
      refresh_topics_.insert(topic);
    }
    // Requeue (in order, ahead of later batches) or fail each batch.
    std::vector<std::unique_ptr<Batch>> requeue;
    for (auto& b : entry.batches) {
      if (split) {
        b->alone = true;
        requeue.push_back(std::move(b));
        continue;
      }
      ++b->attempts;
      const bool expired = now - b->created >= milliseconds(config_.delivery_timeout_ms);
      if (!retriable || b->attempts > config_.retries || expired) {
        absl::Status status = ErrorStatus(error, message);
        if (retriable && expired) {
          status = absl::DeadlineExceededError(absl::StrCat(
              "TimeoutException: delivery.timeout.ms (", config_.delivery_timeout_ms,
              " ms) passed; last error: ", ErrorText(error, message)));
        } else if (retriable) {
          status = absl::Status(status.code(), absl::StrCat(status.message(), " (after ",
                                                            b->attempts - 1, " retries)"));
        }
        FailBatchLocked(b.get(), status, done);
        continue;
      }
      b->retry_at = now + milliseconds(config_.retry_backoff_ms);
      ++metrics_.retries;
      requeue.push_back(std::move(b));
    }
    PartitionQueue& q = QueueLocked(topic, partition);
    for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) q.batches.push_front(std::move(*it));
  }
}

void Producer::SenderLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  bool cancelled_calls = false;
  while (true) {
    std::vector<Done> done = std::move(pending_done_);
    pending_done_.clear();
    std::vector<std::unique_ptr<Call>> finished = std::move(finished_);
    finished_.clear();
    const auto now = Clock::now();
    std::vector<std::unique_ptr<Call>> calls;
    std::set<std::string> refresh;
    if (force_close_) {
      FailAllLocked(absl::CancelledError("the producer closed before the record was sent"), &done);
    } else {
      ExpireLocked(now, &done);
      calls = DrainLocked(now, &refresh);
    }
    const bool do_refresh =
        !refresh.empty() && now - last_refresh_ >= milliseconds(config_.retry_backoff_ms);
    if (do_refresh) {
      for (const auto& t : refresh) refresh_topics_.erase(t);
      ++metrics_.metadata_refreshes;
    }
    const bool cancel_now = force_close_ && !cancelled_calls && !out_.empty();
    if (!done.empty() || !calls.empty() || do_refresh || cancel_now || !finished.empty()) {
      std::vector<Call*> to_cancel;
      if (cancel_now) {
        to_cancel.assign(out_.begin(), out_.end());
        cancelled_calls = true;
      }
      for (auto& c : calls) out_.insert(c.get());
      lock.unlock();
      finished.clear();
      // New calls first: the broker should not wait while user callbacks run.
      for (auto& c : calls) StartCall(c.release());
      for (Done& d : done) {
        for (size_t i = 0; i < d.callbacks.size(); ++i) {
          if (!d.callbacks[i]) continue;
          if (d.status.ok()) {
            // acks=0: the broker may not say where the batch went (-1).
            const int64_t offset =
                d.base_offset < 0 ? -1 : d.base_offset + static_cast<int64_t>(i);
            d.callbacks[i](RecordMetadata{d.topic, d.partition, offset});
          } else {
            d.callbacks[i](d.status);
          }
        }
      }
      // Calls are freed only by this thread (finished_), so these pointers stay valid.
      for (Call* c : to_cancel) c->context.TryCancel();
      if (do_refresh) {
        metadata_->Refresh(std::vector<std::string>(refresh.begin(), refresh.end()),
                           milliseconds(config_.request_timeout_ms))
            .IgnoreError();  // a failure leaves the batches queued until delivery.timeout.ms
        last_refresh_ = Clock::now();
      }
      lock.lock();
      for (const Done& d : done) outstanding_batches_.erase(d.batch_id);
      space_cv_.notify_all();
      continue;
    }
    if (closing_ && IdleLocked()) break;
    if (force_close_ && out_.empty() && pending_done_.empty()) break;
    sender_cv_.wait_until(lock, NextWakeLocked(now));
  }
  sender_done_ = true;
  space_cv_.notify_all();
}

}  // namespace keel::client
