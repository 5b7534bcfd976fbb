// raft_sim: runs the seeded cluster simulation by hand, e.g. 100k seeds:
//   bazel run -c opt //tests/sim:raft_sim -- --seeds=100000 --first_seed=1
// A failure prints its seed; `--first_seed=N --seeds=1` replays it exactly.
#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>

#include "tests/sim/cluster_sim.h"

DEFINE_uint64(first_seed, 1, "First seed to run.");
DEFINE_uint64(seeds, 1000, "Number of consecutive seeds.");
DEFINE_int32(voters, 3, "Voters per cluster (3 or 5 in CI; any n >= 1 works).");
DEFINE_int32(observers, 0, "Observers per cluster.");
DEFINE_int32(steps, 600, "Faulty steps per seed before healing.");
DEFINE_double(drop, 0.05, "Probability that a message is dropped.");
DEFINE_double(duplicate, 0.02, "Probability that a message is delivered twice.");
DEFINE_double(crash, 0.004, "Per-step probability that a node crashes.");
DEFINE_double(crash_mid_ready, 0.002,
              "Per-Ready probability of a crash while persisting it (a prefix is kept).");
DEFINE_double(partition, 0.004, "Per-step probability of a new partition.");
DEFINE_bool(vary_config, true,
            "Draw append size, in-flight window, PreVote and CheckQuorum from each seed.");
DEFINE_double(snapshot, 0.01, "Per-step probability that a node snapshots and compacts.");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  keel::sim::SimOptions options;
  options.voters = FLAGS_voters;
  options.observers = FLAGS_observers;
  options.steps = FLAGS_steps;
  options.drop_probability = FLAGS_drop;
  options.duplicate_probability = FLAGS_duplicate;
  options.crash_probability = FLAGS_crash;
  options.crash_mid_ready_probability = FLAGS_crash_mid_ready;
  options.partition_probability = FLAGS_partition;
  options.snapshot_probability = FLAGS_snapshot;
  options.vary_config = FLAGS_vary_config;
  auto start = std::chrono::steady_clock::now();
  uint64_t failures = 0, committed = 0, elections = 0, snapshots = 0, crashes = 0;
  for (uint64_t seed = FLAGS_first_seed; seed < FLAGS_first_seed + FLAGS_seeds; ++seed) {
    keel::sim::SimResult r = keel::sim::RunSeed(seed, options);
    committed += r.committed;
    elections += r.elections;
    snapshots += r.snapshots_installed;
    crashes += r.crashes;
    if (!r.ok) {
      ++failures;
      std::printf("FAILED seed=%lu: %s\n  replay: %s\n", static_cast<unsigned long>(seed),
                  r.failure.c_str(), keel::sim::ReplayCommand(seed, options).c_str());
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "%lu seeds, %lu failed, %.1f s; committed %lu entries, %lu elections, "
      "%lu snapshots installed, %lu crashes\n",
      static_cast<unsigned long>(FLAGS_seeds), static_cast<unsigned long>(failures), seconds,
      static_cast<unsigned long>(committed), static_cast<unsigned long>(elections),
      static_cast<unsigned long>(snapshots), static_cast<unsigned long>(crashes));
  return failures == 0 ? 0 : 1;
}
