// The nemesis: a seeded schedule of process faults applied to a running cluster.
//
// Faults: SIGKILL then restart, SIGSTOP for 1-10 s then SIGCONT, and SIGTERM (graceful
// stop) then restart. Two lanes run side by side, one over the controllers and one over the
// brokers, each one fault at a time, so at most one controller of three is ever down or
// paused (the quorum keeps a majority) and at most one broker (acks=all partitions with
// replication factor 3 and min.insync.replicas=2 keep a writable ISR). After each fault the
// lane waits (bounded) for the node to be useful again before the next one.
//
// The schedule of each lane is a pure function of the seed (std::mt19937_64), so a failing
// run's faults replay from its seed; the cluster's timing around them does not.
//
// A watcher thread checks every node that the nemesis has not taken down: a process that
// ends on its own is an unexpected death.
#ifndef KEEL_TESTS_E2E_NEMESIS_H_
#define KEEL_TESTS_E2E_NEMESIS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/cluster.h"

namespace keel::e2e {

enum class FaultKind { kKill, kPause, kTerminate };
const char* FaultKindName(FaultKind kind);

struct Fault {
  Node::Role role = Node::Role::kController;
  int node_id = 0;
  FaultKind kind = FaultKind::kKill;
  int64_t duration_ms = 0;  // pause length, or how long a killed/stopped node stays down
  int64_t gap_ms = 0;       // quiet time before the fault
  std::string ToString() const;
};

struct NemesisOptions {
  uint64_t seed = 1;
  int64_t max_faults = 100;        // stop once this many faults were injected ...
  int64_t max_duration_ms = 200000;  // ... or after this long
  int64_t terminate_grace_ms = 10000;
  int64_t recovery_timeout_ms = 20000;
};

// The first `count` faults of one lane for `seed` over the nodes `ids` of `role`.
std::vector<Fault> LaneSchedule(uint64_t seed, Node::Role role, const std::vector<int>& ids,
                                int64_t count);

class Nemesis {
 public:
  // `recovered(node)` says whether a restarted or resumed node is useful again (a
  // controller that knows a leader, an unfenced broker); polled until it is or
  // recovery_timeout_ms passes.
  Nemesis(Cluster* cluster, NemesisOptions options, std::function<bool(Node&)> recovered);
  ~Nemesis();

  void StartWatcher();
  // Runs both lanes until max_faults or max_duration_ms; blocks.
  void Run();
  // Resumes every paused node and starts every stopped one (idempotent).
  void Heal();
  void StopWatcher();

  int64_t total_faults() const { return total_.load(); }
  // "kill": n, "pause": n, "terminate": n, split by role ("controller kill").
  std::map<std::string, int64_t> Counts() const;
  // Unexpected deaths and unclean graceful stops; empty when every process ended only by
  // injection.
  std::vector<std::string> Anomalies() const;
  // Graceful stops that needed a SIGKILL after the grace period, and recoveries that did
  // not finish within recovery_timeout_ms (liveness notes, not safety violations).
  std::vector<std::string> Warnings() const;
  std::vector<std::string> Timeline() const;

 private:
  void RunLane(Node::Role role, const std::vector<int>& ids, uint64_t lane_seed);
  void Apply(const Fault& fault);
  bool SleepUnlessStopped(int64_t ms);
  void SetExpectedUp(Node& node, bool up);
  void Note(std::vector<std::string>* list, const std::string& line);
  void WatchOnce();

  Cluster* cluster_;
  NemesisOptions options_;
  std::function<bool(Node&)> recovered_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> total_{0};

  mutable std::mutex mu_;
  std::map<const Node*, bool> expected_up_;  // guarded by mu_; held across the liveness check
  std::map<const Node*, bool> paused_;       // guarded by mu_
  std::map<std::string, int64_t> counts_;    // guarded by mu_
  std::vector<std::string> anomalies_;       // guarded by mu_
  std::vector<std::string> warnings_;        // guarded by mu_
  std::vector<std::string> timeline_;        // guarded by mu_

  std::atomic<bool> watcher_stop_{false};
  std::thread watcher_;
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_NEMESIS_H_
