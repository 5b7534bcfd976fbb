// broker_bench's client::Producer phase: one application thread sends records of one size to
// a topic through the Producer (its own batching: batch.size, linger.ms) for a budget, then
// flushes; the figure counts acknowledged records only.
#ifndef KEEL_TESTS_BENCH_PRODUCER_LOAD_H_
#define KEEL_TESTS_BENCH_PRODUCER_LOAD_H_

#include <memory>
#include <string>

#include "client/metadata_cache.h"
#include "client/producer_config.h"
#include "tests/bench/baselines.h"

namespace keel::bench {

// `properties` are Producer properties (acks, batch.size, ...); the rest keep their defaults.
Throughput ProduceWithProducer(std::shared_ptr<client::MetadataCache> metadata,
                               const std::string& topic, int32_t value_bytes,
                               const client::Properties& properties, const Budget& budget);

}  // namespace keel::bench

#endif  // KEEL_TESTS_BENCH_PRODUCER_LOAD_H_
