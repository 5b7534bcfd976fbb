// A deterministic whole-cluster simulation of the Raft core (controller/raft).
//
// Everything derives from one seed: message loss, duplication, reordering and delay;
// symmetric and asymmetric partitions; crashes that lose everything not yet persisted
// (including a Ready that was being handled) and restarts from the durable MemoryStorage;
// snapshots and log compaction under load; leadership transfers. The same seed replays the
// same run exactly, so a failure is reproduced by its seed alone.
//
// After every step the invariants of the Raft paper are checked:
//   election safety     at most one leader per term;
//   log matching        an (index, term) pair identifies the same log prefix on every node
//                       (a hash chain over each durable log, checked on every append);
//                       whole logs are also compared pairwise at the end;
//   leader completeness every entry committed in a term is in the log of every leader of a
//                       later term (all of them when it is elected, the newest one at
//                       every step);
//   state machine safety no two nodes apply different entries at one index;
//   durability          no committed entry is lost: the newest committed entry is durable
//                       on a majority of voters at every step (crashes included), and after
//                       healing every node applies the whole committed history and a new
//                       proposal commits.
// A crash may also strike while a Ready is being persisted: a prefix of (snapshot, entries,
// hard state) reaches storage, in the order ready.h prescribes, and nothing is sent.
#ifndef KEEL_TESTS_SIM_CLUSTER_SIM_H_
#define KEEL_TESTS_SIM_CLUSTER_SIM_H_

#include <cstdint>
#include <string>

namespace keel::sim {

struct SimOptions {
  int voters = 3;
  int observers = 0;
  int steps = 600;
  double drop_probability = 0.05;
  double duplicate_probability = 0.02;
  int max_delay_steps = 4;
  double propose_probability = 0.4;
  double crash_probability = 0.004;
  double crash_mid_ready_probability = 0.002;
  double restart_probability = 0.05;
  double partition_probability = 0.004;
  double heal_probability = 0.02;
  double snapshot_probability = 0.01;
  double transfer_probability = 0.002;
  int election_ticks = 10;
  uint64_t snapshot_chunk_bytes = 64;  // tiny, so transfers take several chunks
  // Per-seed variation of the Raft configuration, drawn from the seed: append size (down to
  // one entry per message, which splits a new leader's catch-up at every entry), in-flight
  // window, and PreVote / CheckQuorum each off in a quarter of the runs (safety must not
  // depend on them, and without them terms churn far more).
  bool vary_config = true;
  // Test-only fault that breaks the persistence contract: a crash loses up to 3 durable,
  // already acknowledged entries. Runs with it must fail; that proves the checks bite.
  bool broken_storage_loses_tail = false;
};

struct SimResult {
  bool ok = true;
  std::string failure;  // the first invariant violated, with the step
  uint64_t committed = 0;
  uint64_t elections = 0;
  uint64_t snapshots_installed = 0;
  uint64_t crashes = 0;
  uint64_t messages_delivered = 0;
  std::string config;  // the Raft configuration this seed drew
};

SimResult RunSeed(uint64_t seed, const SimOptions& options);

// The raft_sim command line that replays `seed` with `options` exactly.
std::string ReplayCommand(uint64_t seed, const SimOptions& options);

}  // namespace keel::sim

#endif  // KEEL_TESTS_SIM_CLUSTER_SIM_H_
