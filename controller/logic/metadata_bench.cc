// Costs of the metadata state machine and of the leader's frontend on large images.
// bazel run //controller/logic:metadata_bench (figures in docs/bench/metadata.md).
#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "controller/logic/controller_logic.h"

namespace keel::controller {
namespace {

constexpr int kBrokers = 10;

// kBrokers unfenced brokers and `partitions` partitions (topics of 100, replication 3).
struct BigCluster {
  explicit BigCluster(int partitions) {
    for (int32_t id = 1; id <= kBrokers; ++id) {
      RegisterBrokerRequest req;
      req.set_broker_id(id);
      req.set_incarnation_id("i");
      Commit(ControllerLogic::RegisterBroker(image, heartbeats, req, 0)->records);
      BrokerHeartbeatRequest hb;
      hb.set_broker_id(id);
      hb.set_broker_epoch(image.Broker(id)->epoch);
      hb.set_current_metadata_offset(image.applied_offset());
      Commit(ControllerLogic::BrokerHeartbeat(image, heartbeats, hb, 0).records);
    }
    for (int t = 0; t * 100 < partitions; ++t) {
      CreateTopicsRequest req;
      auto* topic = req.add_topics();
      topic->set_name(absl::StrCat("topic-", t));
      topic->set_num_partitions(100);
      topic->set_replication_factor(3);
      Commit(ControllerLogic::CreateTopics(image, req, t).records);
    }
  }
  void Commit(const metadata::MetadataRecordBatch& batch) {
    if (!image.ApplyBatch(batch, image.applied_offset() + 1).ok()) std::abort();
  }
  metadata::MetadataImage image;
  BrokerHeartbeatTracker heartbeats;
};

void BM_ApplyIsrChange(benchmark::State& state) {
  BigCluster c(static_cast<int>(state.range(0)));
  const metadata::TopicInfo& t = *c.image.TopicByName("topic-0");
  const metadata::PartitionInfo p = t.partitions.at(0);
  metadata::MetadataRecord shrink, expand;
  for (auto* r : {&shrink, &expand}) {
    r->mutable_partition_change()->set_topic_id(t.id);
    r->mutable_partition_change()->set_partition_id(0);
  }
  shrink.mutable_partition_change()->mutable_isr()->add_ids(p.leader);
  for (int32_t id : p.isr) expand.mutable_partition_change()->mutable_isr()->add_ids(id);
  metadata::ImageChanges changes;
  int64_t offset = c.image.applied_offset();
  for (auto _ : state) {
    changes.changes.clear();
    if (!c.image.Apply(shrink, ++offset, &changes).ok()) std::abort();
    if (!c.image.Apply(expand, ++offset, &changes).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(BM_ApplyIsrChange)->Arg(1000)->Arg(10000);

void BM_SteadyHeartbeat(benchmark::State& state) {
  BigCluster c(static_cast<int>(state.range(0)));
  BrokerHeartbeatRequest hb;
  hb.set_broker_id(1);
  hb.set_broker_epoch(c.image.Broker(1)->epoch);
  hb.set_current_metadata_offset(c.image.applied_offset());
  for (auto _ : state) {
    HeartbeatOutcome out = ControllerLogic::BrokerHeartbeat(c.image, c.heartbeats, hb, 1);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SteadyHeartbeat)->Arg(1000)->Arg(10000);

void BM_CreateTopic100Partitions(benchmark::State& state) {
  BigCluster c(static_cast<int>(state.range(0)));
  CreateTopicsRequest req;
  auto* topic = req.add_topics();
  topic->set_name("new-topic");
  topic->set_num_partitions(100);
  topic->set_replication_factor(3);
  uint64_t random = 0;
  for (auto _ : state) {
    TopicsOutcome out = ControllerLogic::CreateTopics(c.image, req, ++random);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_CreateTopic100Partitions)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_FenceOneBroker(benchmark::State& state) {
  BigCluster c(static_cast<int>(state.range(0)));
  for (int32_t id = 2; id <= kBrokers; ++id) c.heartbeats.Touch(id, 10'000);
  int records = 0;
  for (auto _ : state) {
    metadata::MetadataRecordBatch batch =
        ControllerLogic::FenceExpiredBrokers(c.image, c.heartbeats, 10'000);
    records = batch.records_size();
  }
  state.counters["records"] = records;
}
BENCHMARK(BM_FenceOneBroker)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

void BM_SnapshotRoundTrip(benchmark::State& state) {
  BigCluster c(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto rebuilt =
        metadata::MetadataImage::FromRecords(c.image.ToRecords(), c.image.applied_offset());
    if (!rebuilt.ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SnapshotRoundTrip)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace keel::controller

BENCHMARK_MAIN();
