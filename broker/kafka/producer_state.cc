#include "broker/kafka/producer_state.h"

#include <limits>

namespace keel::broker::kafka {
namespace {

int32_t NextSequence(int32_t sequence) {
  return sequence == std::numeric_limits<int32_t>::max() ? 0 : sequence + 1;
}

}  // namespace

std::string EncodeProducerHeader(const ProducerBatch& batch) {
  std::string out(18, '\0');
  auto put = [&](size_t at, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out[at + i] = static_cast<char>(v >> (8 * (bytes - 1 - i)));
  };
  put(0, static_cast<uint64_t>(batch.producer_id), 8);
  put(8, static_cast<uint16_t>(batch.producer_epoch), 2);
  put(10, static_cast<uint32_t>(batch.first_sequence), 4);
  put(14, static_cast<uint32_t>(batch.record_count), 4);
  return out;
}

std::optional<ProducerBatch> DecodeProducerHeader(std::string_view value) {
  if (value.size() != 18) return std::nullopt;
  auto get = [&](size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(value[at + i]);
    return v;
  };
  ProducerBatch b;
  b.producer_id = static_cast<int64_t>(get(0, 8));
  b.producer_epoch = static_cast<int16_t>(get(8, 2));
  b.first_sequence = static_cast<int32_t>(get(10, 4));
  b.record_count = static_cast<int32_t>(get(14, 4));
  if (b.producer_id < 0 || b.record_count <= 0) return std::nullopt;
  return b;
}

int32_t ProducerBatch::last_sequence() const {
  const int64_t last = static_cast<int64_t>(first_sequence) + record_count - 1;
  return static_cast<int32_t>(last % (int64_t{std::numeric_limits<int32_t>::max()} + 1));
}

std::unique_lock<std::mutex> ProducerStateTable::Lock(const std::pair<std::string, int32_t>& key,
                                                      int32_t leader_epoch,
                                                      const History& history, Partition** out) {
  Partition* p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = partitions_[key];
    if (slot == nullptr) slot = std::make_unique<Partition>();
    p = slot.get();  // never removed, so the pointer stays valid
  }
  std::unique_lock<std::mutex> lock(p->mu);
  if (p->leader_epoch != leader_epoch) {
    p->leader_epoch = leader_epoch;
    p->producers.clear();
    if (history) {
      for (const StoredProducerBatch& stored : history()) {
        RecordLocked(p, stored.batch, stored.base_offset);
      }
    }
  }
  *out = p;
  return lock;
}

ProducerStateTable::Decision ProducerStateTable::Check(const std::pair<std::string, int32_t>& key,
                                                       int32_t leader_epoch,
                                                       const ProducerBatch& batch,
                                                       const History& history) {
  Partition* p;
  auto lock = Lock(key, leader_epoch, history, &p);
  auto it = p->producers.find(batch.producer_id);
  if (it == p->producers.end()) return {};
  const Producer& producer = it->second;
  if (batch.producer_epoch < producer.epoch) return {Verdict::kFencedEpoch, -1};
  if (batch.producer_epoch > producer.epoch) {
    // A new epoch starts its sequences at 0.
    return batch.first_sequence == 0 ? Decision{} : Decision{Verdict::kOutOfOrder, -1};
  }
  for (const Remembered& r : producer.batches) {
    if (r.first_sequence == batch.first_sequence && r.last_sequence == batch.last_sequence()) {
      return {Verdict::kDuplicate, r.base_offset};
    }
  }
  if (!producer.batches.empty() &&
      batch.first_sequence != NextSequence(producer.batches.back().last_sequence)) {
    return {Verdict::kOutOfOrder, -1};
  }
  return {};
}

void ProducerStateTable::Record(const std::pair<std::string, int32_t>& key, int32_t leader_epoch,
                                const ProducerBatch& batch, int64_t base_offset) {
  Partition* p;
  auto lock = Lock(key, leader_epoch, nullptr, &p);
  RecordLocked(p, batch, base_offset);
}

void ProducerStateTable::RecordLocked(Partition* p, const ProducerBatch& batch,
                                      int64_t base_offset) {
  Producer& producer = p->producers[batch.producer_id];
  if (batch.producer_epoch != producer.epoch) {
    producer.epoch = batch.producer_epoch;
    producer.batches.clear();
  }
  producer.batches.push_back({batch.first_sequence, batch.last_sequence(), base_offset});
  while (producer.batches.size() > kBatchesKept) producer.batches.pop_front();
  // Bounded memory: past the cap the lowest ids (the oldest, as ids grow) are forgotten.
  while (p->producers.size() > kMaxProducersPerPartition) {
    p->producers.erase(p->producers.begin());
  }
}

}  // namespace keel::broker::kafka
