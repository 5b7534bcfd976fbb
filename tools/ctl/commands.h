// keelctl's commands. Each returns the process exit code: 0 on success, 1 when the cluster
// answered with an error or could not be reached (one line on stderr), 2 for bad usage.
#ifndef KEEL_TOOLS_CTL_COMMANDS_H_
#define KEEL_TOOLS_CTL_COMMANDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace keel::keelctl {

struct GlobalOptions {
  std::string controllers;  // --controllers or $KEEL_CONTROLLERS
  std::string brokers;      // --brokers or $KEEL_BROKERS
  std::string output = "table";
  int64_t timeout_ms = 15000;
  bool json() const { return output == "json"; }
};

struct CreateTopicOptions {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::vector<std::string> configs;  // k=v
};

int QuorumStatus(const GlobalOptions& g);
int QuorumReplication(const GlobalOptions& g);
int TopicsCreate(const GlobalOptions& g, const CreateTopicOptions& o);
int TopicsList(const GlobalOptions& g);
int TopicsDescribe(const GlobalOptions& g, const std::string& name);
int TopicsDelete(const GlobalOptions& g, const std::string& name);
int BrokersList(const GlobalOptions& g);

// Prints "keelctl: <what>: <status message>" and returns 1.
int ReportError(const std::string& what, const grpc::Status& status);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_COMMANDS_H_
