// raft_sim: runs the seeded cluster simulation by hand, e.g. 100k seeds:
//   bazel run -c opt //tests/sim:raft_sim -- --seeds=100000 --first_seed=1
// A failure prints its seed; `--first_seed=N --seeds=1` replays it exactly.
#include <chrono>
#include <cstdio>

#include <gflags/gflags.h>

#include "tests/sim/cluster_sim.h"

DEFINE_uint64(first_seed, 1, "First seed to run.");
DEFINE_uint64(seeds, 1000, "Number of consecutive seeds.");
DEFINE_int32(voters, 3, "Voters per cluster (3 or 5 in CI; any n >= 1 works).");
DEFINE_int32(observers, 0, "Observers per cluster.");
DEFINE_int32(steps, 600, "Faulty steps per seed before healing.");
DEFINE_double(drop, 0.05, "Probability that a message is dropped.");
DEFINE_double(crash, 0.004, "Per-step probability that a node crashes.");
DEFINE_double(partition, 0.004, "Per-step probability of a new partition.");

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  keel::sim::SimOptions options;
  options.voters = FLAGS_voters;
  options.observers = FLAGS_observers;
  options.steps = FLAGS_steps;
  options.drop_probability = FLAGS_drop;
  options.crash_probability = FLAGS_crash;
  options.partition_probability = FLAGS_partition;
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
      std::printf("FAILED seed=%lu: %s\n  replay: bazel run //tests/sim:raft_sim -- "
                  "--first_seed=%lu --seeds=1 --voters=%d --observers=%d --steps=%d\n",
                  static_cast<unsigned long>(seed), r.failure.c_str(),
                  static_cast<unsigned long>(seed), FLAGS_voters, FLAGS_observers, FLAGS_steps);
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%lu seeds, %lu failed, %.1f s; committed %lu entries, %lu elections, "
              "%lu snapshots installed, %lu crashes\n",
              static_cast<unsigned long>(FLAGS_seeds), static_cast<unsigned long>(failures),
              seconds, static_cast<unsigned long>(committed), static_cast<unsigned long>(elections),
              static_cast<unsigned long>(snapshots), static_cast<unsigned long>(crashes));
  return failures == 0 ? 0 : 1;
}
