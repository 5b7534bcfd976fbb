#include "broker/kafka/producer_state.h"

#include <limits>

namespace keel::broker::kafka {
namespace {

int32_t NextSequence(int32_t sequence) {
  return sequence == std::numeric_limits<int32_t>::max() ? 0 : sequence + 1;
}

}  // namespace

int32_t ProducerBatch::last_sequence() const {
  const int64_t last = static_cast<int64_t>(first_sequence) + record_count - 1;
  return static_cast<int32_t>(last % (int64_t{std::numeric_limits<int32_t>::max()} + 1));
}

std::unique_lock<std::mutex> ProducerStateTable::Lock(const std::pair<std::string, int32_t>& key,
                                                      int32_t leader_epoch, Partition** out) {
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
  }
  *out = p;
  return lock;
}

ProducerStateTable::Decision ProducerStateTable::Check(const std::pair<std::string, int32_t>& key,
                                                       int32_t leader_epoch,
                                                       const ProducerBatch& batch) {
  Partition* p;
  auto lock = Lock(key, leader_epoch, &p);
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
  auto lock = Lock(key, leader_epoch, &p);
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
