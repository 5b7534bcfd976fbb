// A real Keel cluster on loopback for end-to-end tests: `controllers` keel-controller
// processes forming the Raft quorum and `brokers` keel-broker processes, each a Node with
// its own data directory and log file under one temporary root.
#ifndef KEEL_TESTS_E2E_CLUSTER_H_
#define KEEL_TESTS_E2E_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/node.h"

namespace keel::e2e {

struct ClusterOptions {
  int controllers = 3;
  int brokers = 3;
  int64_t election_timeout_ms = 500;
  int64_t controller_heartbeat_interval_ms = 50;
  // Brokers heartbeat the controllers this often; the controllers fence a broker that has
  // been silent for `broker_session_timeout_ms` (passed to both sides).
  int64_t broker_heartbeat_interval_ms = 300;
  int64_t broker_session_timeout_ms = 4000;
  std::vector<std::string> controller_flags;
  std::vector<std::string> broker_flags = {"--replica_lag_time_max_ms=1500",
                                           "--controlled_shutdown_timeout_ms=3000"};
};

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);

  bool StartAll();
  void KillAll();

  // All nodes: controllers first (c1..cN), then brokers (b1..bM).
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  Node& controller(int id) { return *nodes_.at(static_cast<size_t>(id - 1)); }
  Node& broker(int id) { return *nodes_.at(static_cast<size_t>(options_.controllers + id - 1)); }
  std::vector<int> controller_ids() const;
  std::vector<int> broker_ids() const;

  std::string ControllerAddress(int id) const;
  std::vector<std::string> ControllerAddresses() const;
  const std::string& cluster_id() const { return cluster_id_; }
  const std::string& root() const { return root_; }
  const ClusterOptions& options() const { return options_; }

 private:
  ClusterOptions options_;
  std::string root_;
  std::string cluster_id_;
  std::vector<int> controller_ports_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_CLUSTER_H_
