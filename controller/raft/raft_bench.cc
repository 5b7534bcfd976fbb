// Entries committed per second by the Raft core alone: a 3-voter cluster in memory
// (MemoryStorage, messages handed over directly), the leader proposing 100-byte entries in
// bursts of state.range(0). Run:
//   bazel run -c opt //controller/raft:raft_bench
#include <benchmark/benchmark.h>

#include <string>

#include "controller/raft/test_cluster.h"

namespace keel::raft {
namespace {

void BM_CommitThreeVoters(benchmark::State& state) {
  const int burst = static_cast<int>(state.range(0));
  TestCluster c(3);
  c.record_applied = false;
  if (c.Elect(1) != 1) {
    state.SkipWithError("no leader");
    return;
  }
  const std::string payload(100, 'x');
  uint64_t committed_before = c.node(1).GetStatus().commit;
  for (auto _ : state) {
    for (int i = 0; i < burst; ++i) (void)c.node(1).Propose(payload);
    c.Deliver();
    // Like an application, bound the in-memory log by snapshotting now and then.
    if (c.storage(1).LastIndex() - c.storage(1).FirstIndex() > 100000) {
      state.PauseTiming();
      c.CompactAll();
      state.ResumeTiming();
    }
  }
  uint64_t committed = c.node(1).GetStatus().commit - committed_before;
  if (committed < static_cast<uint64_t>(state.iterations()) * burst) {
    state.SkipWithError("not every proposal committed");
  }
  state.SetItemsProcessed(static_cast<int64_t>(committed));
  state.counters["entries_per_s"] =
      benchmark::Counter(static_cast<double>(committed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CommitThreeVoters)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace keel::raft

BENCHMARK_MAIN();
