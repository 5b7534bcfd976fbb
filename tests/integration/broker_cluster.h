// Real keel-broker processes beside a ControllerCluster, and a data client that finds partition
// leaders through the controllers and follows NOT_LEADER_OR_FOLLOWER, for integration tests.
#ifndef KEEL_TESTS_INTEGRATION_BROKER_CLUSTER_H_
#define KEEL_TESTS_INTEGRATION_BROKER_CLUSTER_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client/metadata_cache.h"
#include "proto/broker.grpc.pb.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/process.h"

namespace keel::testing {

struct BrokerSetOptions {
  int brokers = 2;
  int64_t heartbeat_interval_ms = 300;
  int64_t session_timeout_ms = 3000;
  std::vector<std::string> extra_flags;
};

class BrokerSet {
 public:
  BrokerSet(ControllerCluster* controllers, BrokerSetOptions options);
  ~BrokerSet();

  bool StartAll();
  bool StartBroker(int id);
  void KillBroker(int id);
  int TerminateBroker(int id, std::chrono::milliseconds grace);
  bool IsRunning(int id);
  void Suspend(int id);  // SIGSTOP: neither fetches nor heartbeats
  void Resume(int id);   // SIGCONT

  // True once DescribeCluster lists every running broker as registered and unfenced.
  bool WaitAllUnfenced(ControllerClient* client, std::chrono::milliseconds timeout);

  std::string Address(int id) const;
  std::string DataDir(int id) const;
  std::string BrokerLog(int id) const;
  std::vector<int> ids() const;

 private:
  struct Node {
    int id;
    int port;
    std::string dir;
    std::unique_ptr<Process> process;
  };
  ControllerCluster* controllers_;
  BrokerSetOptions options_;
  std::string root_;
  std::map<int, Node> nodes_;
};

// A CreateTopics request for one topic.
controller::CreateTopicsRequest OneTopicRequest(const std::string& name, int partitions,
                                                int replication_factor,
                                                const std::map<std::string, std::string>& configs);

// CreateTopics of one topic with configs through the controller leader; the first result's
// error as a message ("" when created).
std::string CreateTopicWithConfigs(ControllerClient* client, const std::string& name,
                                   int partitions, int replication_factor,
                                   const std::map<std::string, std::string>& configs);

// Prints the last lines of every broker's log to stderr (for a failed test).
void PrintBrokerLogTails(const BrokerSet& brokers, int lines = 30);

// Single Produce / Fetch / ListOffsets calls against partition leaders, for tests that check
// what the broker answers: the leaders come from client::MetadataCache (refreshed from the
// controllers on NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION and UNAVAILABLE).
// Programs use client::Producer / client::Consumer instead.
class DataClient {
 public:
  explicit DataClient(ControllerClient* controllers);

  struct ProduceResult {
    keel::ErrorCode error = keel::NONE;
    std::string message;
    int64_t base_offset = -1;
  };
  // Retries retriable errors until `timeout`; returns the last answer.
  ProduceResult Produce(const std::string& topic, int partition,
                        const std::vector<std::pair<std::string, std::string>>& records,
                        broker::Acks acks = broker::ACKS_LEADER,
                        std::chrono::milliseconds timeout = std::chrono::seconds(15));
  // One fetch from the current leader (retrying leadership errors until `timeout`).
  broker::FetchPartitionData Fetch(const std::string& topic, int partition, int64_t offset,
                                   int32_t max_bytes = 1 << 20, int32_t max_wait_ms = 0,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(15));
  broker::ListOffsetsPartitionResult ListOffset(const std::string& topic, int partition,
                                                int64_t timestamp_ms);

  // Leader broker id of topic-partition per the controllers (-1 if none), refreshed.
  int Leader(const std::string& topic, int partition);
  std::shared_ptr<broker::BrokerService::Stub> StubFor(int broker_id);

 private:
  bool Refresh();
  // The stub to the believed leader of topic-partition (null if none is known).
  std::shared_ptr<broker::BrokerService::Stub> LeaderStub(const std::string& topic, int partition);
  std::shared_ptr<client::MetadataCache> cache_;
};

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_BROKER_CLUSTER_H_
