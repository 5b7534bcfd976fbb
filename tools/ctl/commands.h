// keelctl's commands. Each returns the process exit code: 0 on success, 1 when the cluster
// answered with an error or could not be reached (one line on stderr), 2 for bad usage.
#ifndef KEEL_TOOLS_CTL_COMMANDS_H_
#define KEEL_TOOLS_CTL_COMMANDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"

namespace keel::keelctl {

struct GlobalOptions {
  std::string controllers;  // --controllers or $KEEL_CONTROLLERS
  std::string brokers;      // --brokers or $KEEL_BROKERS
  std::string output = "table";
  int64_t timeout_ms = 15000;
  // TLS to the cluster (docs/security.md): --tls-ca/--tls-cert/--tls-key or $KEEL_TLS_CA,
  // $KEEL_TLS_CERT, $KEEL_TLS_KEY. Empty CA: plaintext.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool json() const { return output == "json"; }
};

struct CreateTopicOptions {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::string> configs;  // k=v
};

struct MetadataLogOptions {
  int64_t from = 0;  // first offset to print; older entries may arrive as an image snapshot
  bool follow = false;
};

struct ProduceOptions {
  std::string topic;
  int partition = -1;  // -1: by key hash, else round-robin
  std::string key_separator;
  std::string acks = "leader";  // none | leader | all
};

struct ConsumeOptions {
  std::string topic;
  int partition = -1;  // -1: every partition
  bool from_beginning = false;
  int64_t offset = -1;
  int64_t max_messages = -1;
  bool print_offset = false;
  bool print_key = false;
  std::string group;  // --group: subscribe as a member of this group and commit
};

struct ConfigsAlterOptions {
  std::string topic;
  std::string add_config;                  // k=v,k2=v2 (a value may be [a,b])
  std::vector<std::string> delete_config;  // keys, repeatable or comma-separated
};

// keelctl perf produce | consume (kafka-producer-perf-test / kafka-consumer-perf-test).
struct PerfProduceOptions {
  std::string topic;
  int64_t num_records = 0;
  int32_t record_size = 100;
  double throughput = -1;  // records/s; -1: unthrottled
  std::vector<std::string> producer_props;  // k=v
  int64_t reporting_interval_ms = 5000;
};

struct PerfConsumeOptions {
  std::string topic;
  int64_t messages = 0;
  bool from_latest = false;
  std::vector<std::string> consumer_props;  // k=v
  int64_t reporting_interval_ms = 5000;
};

// keelctl cluster up|status|down|logs|restart-node: a local cluster of processes under --dir.
struct LocalClusterOptions {
  std::string dir;
  int controllers_count = 3;
  int brokers_count = 3;
  int base_port = 19091;
  std::string bin_dir;  // where keel-controller / keel-broker live; found when empty
  int64_t wait_ms = 60000;   // up / restart-node: how long to wait for the cluster
  int64_t grace_ms = 5000;   // down: SIGTERM, then SIGKILL after this
  std::string node;          // logs / restart-node: "controller-1", "broker-2"
  int64_t tail_lines = -1;   // logs: last N lines (-1: all)
  std::vector<std::string> controller_args;  // extra flags for every controller
  std::vector<std::string> broker_args;      // extra flags for every broker
  bool tls = false;  // up: a throwaway CA and mutual TLS everywhere (tools/ctl/local_tls.h)
};

// keelctl groups describe G [--members | --state] (kafka-consumer-groups --describe).
struct GroupsDescribeOptions {
  std::string group;
  bool members = false;  // one row per member: CONSUMER-ID HOST CLIENT-ID #PARTITIONS
  bool state = false;    // one row: COORDINATOR ASSIGNMENT-STRATEGY STATE #MEMBERS
};

// keelctl groups reset-offsets G --topic T (one of the four) [--execute].
struct GroupsResetOptions {
  std::string group;
  std::string topic;
  bool to_earliest = false;
  bool to_latest = false;
  std::optional<int64_t> to_offset;
  std::optional<int64_t> shift_by;
  bool execute = false;  // without: a dry run that prints the plan
};

// Makes every channel keelctl opens use TLS when g.tls_ca is set (a client certificate too
// when g.tls_cert/g.tls_key are); a file that cannot be used is the error. Called once,
// after parsing and before any command runs.
absl::Status ConfigureTls(const GlobalOptions& g);

int QuorumStatus(const GlobalOptions& g);
int QuorumReplication(const GlobalOptions& g);
int TopicsCreate(const GlobalOptions& g, const CreateTopicOptions& o);
int TopicsList(const GlobalOptions& g);
int TopicsDescribe(const GlobalOptions& g, const std::string& name);
int TopicsDelete(const GlobalOptions& g, const std::string& name);
int TopicsAlter(const GlobalOptions& g, const std::string& name, int partitions);
int ConfigsDescribe(const GlobalOptions& g, const std::string& topic);
int ConfigsAlter(const GlobalOptions& g, const ConfigsAlterOptions& o);
int PerfProduce(const GlobalOptions& g, const PerfProduceOptions& o);
int PerfConsume(const GlobalOptions& g, const PerfConsumeOptions& o);
int BrokersList(const GlobalOptions& g);
int MetadataLog(const GlobalOptions& g, const MetadataLogOptions& o);
int MetadataImage(const GlobalOptions& g);
int Produce(const GlobalOptions& g, const ProduceOptions& o);
int Consume(const GlobalOptions& g, const ConsumeOptions& o);
int GroupsList(const GlobalOptions& g, bool with_state);
int GroupsDescribe(const GlobalOptions& g, const GroupsDescribeOptions& o);
int GroupsResetOffsets(const GlobalOptions& g, const GroupsResetOptions& o);
int GroupsDelete(const GlobalOptions& g, const std::string& group);
int ClusterUp(const GlobalOptions& g, const LocalClusterOptions& o, const char* argv0);
int ClusterStatus(const GlobalOptions& g, const LocalClusterOptions& o);
int ClusterDown(const GlobalOptions& g, const LocalClusterOptions& o);
int ClusterLogs(const GlobalOptions& g, const LocalClusterOptions& o);
int ClusterRestartNode(const GlobalOptions& g, const LocalClusterOptions& o, const char* argv0);

// Prints "keelctl: <what>: <status message>" and returns 1.
int ReportError(const std::string& what, const grpc::Status& status);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_COMMANDS_H_
