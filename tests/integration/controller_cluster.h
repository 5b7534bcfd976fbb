// A real multi-process controller quorum on loopback for integration tests, plus a client
// that follows leader redirects and a fake broker that registers and heartbeats.
#ifndef KEEL_TESTS_INTEGRATION_CONTROLLER_CLUSTER_H_
#define KEEL_TESTS_INTEGRATION_CONTROLLER_CLUSTER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client/admin_client.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/process.h"

namespace keel::testing {

struct ControllerClusterOptions {
  int voters = 3;
  int64_t election_timeout_ms = 300;  // short, so failover tests finish quickly
  int64_t heartbeat_interval_ms = 50;
  int64_t snapshot_every_entries = 20000;
  std::vector<std::string> extra_flags;
  // Give every node --metrics_address=127.0.0.1:<its own free port> (see MetricsPort).
  bool serve_metrics = false;
};

class ControllerCluster {
 public:
  explicit ControllerCluster(ControllerClusterOptions options);
  ~ControllerCluster();

  // Starts every voter. Returns false if a process failed to start.
  bool StartAll();
  bool StartNode(int id);
  void KillNode(int id);
  void PauseNode(int id);   // SIGSTOP
  void ResumeNode(int id);  // SIGCONT
  int TerminateNode(int id, std::chrono::milliseconds grace);
  bool IsRunning(int id);

  // The leader id agreed by a majority of running nodes, or -1 after `timeout`.
  int WaitForLeader(std::chrono::milliseconds timeout);
  // DescribeQuorum from one node (deadline 2 s).
  grpc::Status DescribeQuorum(int id, controller::DescribeQuorumResponse* response);

  std::string Address(int id) const;
  std::string AllAddresses() const;  // "host:port,host:port,..."
  const std::string& cluster_id() const { return cluster_id_; }
  std::string NodeLog(int id) const;
  // The node's /metrics port (0 unless serve_metrics).
  int MetricsPort(int id) const { return nodes_.at(id).metrics_port; }
  std::vector<int> ids() const;

 private:
  struct Node {
    int id;
    int port;
    int metrics_port = 0;
    std::string dir;
    std::unique_ptr<Process> process;
  };
  ControllerClusterOptions options_;
  std::string root_;
  std::string cluster_id_;
  std::string voters_flag_;
  std::map<int, Node> nodes_;
};

// An admin/lifecycle client over all controllers that retries UNAVAILABLE and timeouts
// (following the leader hint) until its overall deadline: client::AdminClient with every call
// treated as safe to retry.
class ControllerClient {
 public:
  explicit ControllerClient(std::vector<std::string> addresses);

  // Calls `call(channel)` against the believed leader first, then the others, until it
  // returns something other than UNAVAILABLE or `timeout` passes.
  grpc::Status Call(const std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&,
                                                     grpc::ClientContext*)>& call,
                    std::chrono::milliseconds timeout);

  grpc::Status CreateTopic(const std::string& name, int partitions, int replication_factor,
                           controller::CreateTopicsResponse* response,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  grpc::Status DescribeTopics(controller::DescribeTopicsResponse* response, int node_index = -1);

  const std::vector<std::string>& addresses() const { return addresses_; }

 private:
  std::vector<std::string> addresses_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // DescribeTopics of one node
  client::AdminClient admin_;
};

// Registers broker `broker_id` and heartbeats every 500 ms on a background thread, reporting
// the metadata offset it was given (so the controller unfences it).
class FakeBroker {
 public:
  FakeBroker(ControllerClient* client, int broker_id, std::string cluster_id);
  ~FakeBroker();
  grpc::Status Register(std::chrono::milliseconds timeout);
  // A restarted process registers with a new incarnation id (default: fake-<id>-<pid>).
  void set_incarnation(std::string incarnation) { incarnation_ = std::move(incarnation); }
  void StartHeartbeats();
  void StopHeartbeats();
  int64_t epoch() const { return epoch_; }
  bool fenced() const { return fenced_.load(); }

 private:
  ControllerClient* client_;
  int broker_id_;
  std::string cluster_id_;
  std::string incarnation_;
  int64_t epoch_ = -1;
  std::atomic<bool> fenced_{true};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_CONTROLLER_CLUSTER_H_
