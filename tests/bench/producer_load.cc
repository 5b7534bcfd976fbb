#include "tests/bench/producer_load.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>

#include "client/producer.h"

namespace keel::bench {

Throughput ProduceWithProducer(std::shared_ptr<client::MetadataCache> metadata,
                               const std::string& topic, int32_t value_bytes,
                               const client::Properties& properties, const Budget& budget) {
  Throughput t;
  auto config = client::ProducerConfig::FromProperties(properties);
  if (!config.ok()) {
    t.error = config.status().ToString();
    return t;
  }
  client::Producer producer(*config, std::move(metadata));
  std::mt19937_64 rng(42);
  std::string value(static_cast<size_t>(value_bytes), '\0');
  for (char& c : value) c = static_cast<char>(rng());

  // Callbacks run on the sender thread; one pointer of capture keeps std::function inline.
  struct Outcomes {
    std::atomic<int64_t> acked{0};
    std::atomic<int64_t> failed{0};
    std::mutex mu;
    std::string first_error;
  } outcomes;
  auto callback = [o = &outcomes](const absl::StatusOr<client::RecordMetadata>& m) {
    if (m.ok()) {
      o->acked.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    o->failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(o->mu);
    if (o->first_error.empty()) o->first_error = m.status().ToString();
  };
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto stop = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(budget.seconds));
  int64_t sent = 0;
  while (true) {
    // Check the clock every 1,000 records; the loop itself is the measured client.
    if (sent % 1000 == 0) {
      if (Clock::now() >= stop) break;
      if (budget.payload_bytes_max > 0 && sent * value_bytes >= budget.payload_bytes_max) break;
    }
    // By reference: the bytes are copied once, into the batch (as Kafka's producer copies a
    // serialized byte[] into its batch buffer).
    client::ProducerRecordView record;
    record.topic = topic;
    record.value = value;
    absl::Status s = producer.Send(record, callback);
    if (!s.ok()) {
      t.error = "Send: " + s.ToString();
      break;
    }
    ++sent;
  }
  producer.Flush();
  t.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const client::ProducerMetrics m = producer.metrics();
  t.calls = m.requests;
  t.records = outcomes.acked.load();
  t.payload_bytes = t.records * value_bytes;
  if (outcomes.failed.load() > 0 && t.error.empty()) {
    t.error = std::to_string(outcomes.failed.load()) + " records failed: " + outcomes.first_error;
  }
  return t;
}

}  // namespace keel::bench
