// Clients that run one operation at a time against the cluster and classify its outcome
// for the history: ok, failed (the server refused before acting), or unknown (it may have
// taken effect). They never retry after an ambiguous attempt, so one operation in the
// history is one possible effect on the cluster.
//
// Not thread-safe: one client per thread.
#ifndef KEEL_TESTS_E2E_CLIENTS_H_
#define KEEL_TESTS_E2E_CLIENTS_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "client/admin_client.h"
#include "proto/broker.grpc.pb.h"
#include "proto/controller.grpc.pb.h"
#include "tests/e2e/history.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"

namespace keel::e2e {

// Whether a failed controller write certainly did not take effect, from its gRPC status.
// Exposed for tests.
bool DefinitelyNotApplied(const grpc::Status& status);

class MetadataClient {
 public:
  explicit MetadataClient(std::vector<std::string> addresses);

  // Each records itself in `history` as one operation of `client`.
  void CreateTopic(History* history, int client, const std::string& name, int partitions,
                   int replication_factor);
  void DeleteTopic(History* history, int client, const std::string& name);
  // Lists the topics whose name starts with `prefix`, from a controller that says it is the
  // leader just before it answers.
  void ListTopics(History* history, int client, const std::string& prefix);

  // Plain calls for setup and checks (retrying until `timeout`), not recorded.
  bool CreateTopicForSetup(const std::string& name, int partitions, int replication_factor,
                           const std::map<std::string, std::string>& configs,
                           std::chrono::milliseconds timeout);
  testing::ControllerClient* controller_client() { return &client_; }

 private:
  // Runs a write on the leader, moving on only after definite refusals. Returns the final
  // status and sets *ambiguous when some attempt may have been applied.
  grpc::Status Write(const std::function<grpc::Status(controller::AdminService::Stub*,
                                                      grpc::ClientContext*)>& call);
  std::vector<std::string> addresses_;
  std::vector<std::unique_ptr<controller::AdminService::Stub>> admin_;
  std::vector<std::unique_ptr<controller::QuorumService::Stub>> quorum_;
  size_t preferred_ = 0;  // ListTopics: the controller believed to lead
  testing::ControllerClient client_;
  client::AdminClient admin_client_;
};

// Produce (acks=all) and Fetch against partition leaders found through the controllers, each
// recorded in the history as one operation.
class RecordClient {
 public:
  explicit RecordClient(const std::vector<std::string>& controller_addresses);

  // One produce of `values` to topic-partition, at most one attempt that reaches a leader.
  Outcome Produce(History* history, int client, const std::string& topic, int partition,
                  const std::vector<std::string>& values);
  // One fetch from `*offset`; advances it past the records read.
  void Fetch(History* history, int client, const std::string& topic, int partition,
             int64_t* offset);

  // Every value of topic-partition up to the high watermark (for the final check); false if
  // it could not be read within `timeout`.
  bool ReadAll(const std::string& topic, int partition, std::vector<std::string>* values,
               int64_t* high_watermark, std::chrono::milliseconds timeout);
  testing::DataClient* lookup() { return &lookup_; }

 private:
  testing::ControllerClient controllers_;
  testing::DataClient lookup_;
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_CLIENTS_H_
