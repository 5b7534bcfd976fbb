// ProducerStateTable: the idempotent-producer state of the partitions this broker leads
// (KIP-98): per partition and producer id, the producer epoch and the sequence numbers and
// offsets of its last 5 batches. A retried batch (same epoch, same first and last sequence
// as a remembered one) is answered with its original offset instead of being appended
// again; a gap in the sequence gets OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch
// INVALID_PRODUCER_EPOCH.
//
// Kept in memory on the leader, per leader epoch. The first record of every idempotent batch
// carries the batch's producer fields in a reserved header (kProducerStateHeader,
// broker/record_conversion.h), replicated with the log, so a new leadership rebuilds the
// state from the tail of its own log (`history`) before its first check: a retry that
// crosses a leader change is still recognised. With no state for a producer, any sequence
// is accepted and becomes the start of its state, as Kafka does for an expired producer.
//
// Thread safety: all methods are thread-safe (one mutex per partition; never held across
// the append itself). Check and Record are two steps: a batch retried on a second
// connection while the first attempt is still being appended can slip through once.
#ifndef KEEL_BROKER_KAFKA_PRODUCER_STATE_H_
#define KEEL_BROKER_KAFKA_PRODUCER_STATE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::broker::kafka {

struct ProducerBatch {
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t first_sequence = -1;
  int32_t record_count = 0;
  int32_t last_sequence() const;  // wraps at INT32_MAX as Kafka's sequences do
};

// The reserved header's value: producer id, epoch, first sequence, record count (18 bytes,
// big-endian); nullopt for anything else.
std::string EncodeProducerHeader(const ProducerBatch& batch);
std::optional<ProducerBatch> DecodeProducerHeader(std::string_view value);

// An idempotent batch found in the log, and where it starts.
struct StoredProducerBatch {
  ProducerBatch batch;
  int64_t base_offset = -1;
};

class ProducerStateTable {
 public:
  static constexpr size_t kBatchesKept = 5;  // Kafka's max.in.flight for idempotence
  static constexpr size_t kMaxProducersPerPartition = 10000;

  enum class Verdict { kAppend, kDuplicate, kOutOfOrder, kFencedEpoch };
  struct Decision {
    Verdict verdict = Verdict::kAppend;
    int64_t base_offset = -1;  // kDuplicate: where the batch was stored
  };

  // The idempotent batches at the end of the partition's log, oldest first.
  using History = std::function<std::vector<StoredProducerBatch>()>;

  // What to do with `batch` for topic-partition `key` led in `leader_epoch`. The first call
  // in a leader epoch rebuilds the state from `history` (if given).
  Decision Check(const std::pair<std::string, int32_t>& key, int32_t leader_epoch,
                 const ProducerBatch& batch, const History& history = nullptr);
  // Remembers an appended batch.
  void Record(const std::pair<std::string, int32_t>& key, int32_t leader_epoch,
              const ProducerBatch& batch, int64_t base_offset);

 private:
  struct Remembered {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t base_offset;
  };
  struct Producer {
    int16_t epoch = -1;
    std::deque<Remembered> batches;  // oldest first, at most kBatchesKept
  };
  struct Partition {
    std::mutex mu;
    int32_t leader_epoch = -1;                 // guarded by mu
    std::map<int64_t, Producer> producers;     // guarded by mu
  };
  // The partition's state, reset when the leader epoch moved on. Returns it locked.
  std::unique_lock<std::mutex> Lock(const std::pair<std::string, int32_t>& key,
                                    int32_t leader_epoch, const History& history,
                                    Partition** out);
  static void RecordLocked(Partition* p, const ProducerBatch& batch, int64_t base_offset);

  std::mutex mu_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<Partition>> partitions_;  // mu_
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_PRODUCER_STATE_H_
