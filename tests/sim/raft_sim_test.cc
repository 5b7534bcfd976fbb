// Runs the seeded cluster simulation over thousands of seeds in CI (see cluster_sim.h for the
// faults injected and the invariants checked). A failure names its seed; replay it with
//   bazel run //tests/sim:raft_sim -- --first_seed=SEED --seeds=1 --voters=N
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/sim/cluster_sim.h"

namespace keel::sim {
namespace {

void RunSeeds(uint64_t first, uint64_t count, const SimOptions& options) {
  uint64_t committed = 0, snapshots = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SimResult r = RunSeed(seed, options);
    ASSERT_TRUE(r.ok) << "FAILED seed=" << seed << ": " << r.failure
                      << "\n  replay: " << ReplayCommand(seed, options);
    committed += r.committed;
    snapshots += r.snapshots_installed;
  }
  // The runs must have done real work, or the invariants were checked on nothing.
  EXPECT_GT(committed, count * 50);
  EXPECT_GT(snapshots, 0u);
}

TEST(RaftSim, ThreeVoters1500Seeds) { RunSeeds(1, 1500, SimOptions{}); }

TEST(RaftSim, FiveVoters700Seeds) {
  SimOptions options;
  options.voters = 5;
  RunSeeds(100001, 700, options);
}

TEST(RaftSim, ThreeVotersOneObserver300Seeds) {
  SimOptions options;
  options.observers = 1;
  RunSeeds(200001, 300, options);
}

TEST(RaftSim, HeavyFaults500Seeds) {
  SimOptions options;
  options.crash_probability = 0.02;
  options.drop_probability = 0.2;
  options.partition_probability = 0.02;
  options.crash_mid_ready_probability = 0.02;
  RunSeeds(300001, 500, options);
}

// The checks must bite: a storage that loses acknowledged entries on a crash (breaking the
// persistence contract) makes some seeds fail, on durability or a safety property.
TEST(RaftSim, DetectsAStorageThatLosesAcknowledgedEntries) {
  SimOptions options;
  options.broken_storage_loses_tail = true;
  options.crash_probability = 0.02;
  int failures = 0;
  std::string example;
  for (uint64_t seed = 400001; seed < 400201; ++seed) {
    SimResult r = RunSeed(seed, options);
    if (!r.ok) {
      ++failures;
      if (example.empty()) example = r.failure;
    }
  }
  EXPECT_GT(failures, 10) << "the invariant checks missed a storage that loses acknowledged "
                             "entries";
  std::printf("broken storage: %d of 200 seeds failed, e.g. %s\n", failures, example.c_str());
}

}  // namespace
}  // namespace keel::sim
