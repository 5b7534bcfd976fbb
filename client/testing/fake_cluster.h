// In-process fakes of a controller (AdminService) and a broker (BrokerService) on 127.0.0.1
// ephemeral ports, for the client's unit tests. Each fake keeps what it was asked and answers
// from a small in-memory model; a test scripts failures through hooks.
//
// Thread-safe: the gRPC server threads and the test thread share them under one mutex each.
#ifndef KEEL_CLIENT_TESTING_FAKE_CLUSTER_H_
#define KEEL_CLIENT_TESTING_FAKE_CLUSTER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "proto/broker.grpc.pb.h"
#include "proto/controller.grpc.pb.h"

namespace keel::client::testing {

// Starts `service` on 127.0.0.1:0; the chosen port in *port.
std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, int* port);

class FakeBroker final : public broker::BrokerService::Service {
 public:
  explicit FakeBroker(int id);
  ~FakeBroker() override;

  int id() const { return id_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Called for each partition of each Produce before appending; a non-NONE answer (with the
  // leader to name, if any) refuses that partition's batch.
  struct Refusal {
    keel::ErrorCode error = keel::NONE;
    keel::NodeAddress leader;
  };
  using ProduceHook = std::function<Refusal(const std::string& topic, int32_t partition,
                                            const broker::ProducePartitionData& data)>;
  void SetProduceHook(ProduceHook hook);
  // Every Produce waits this long before answering.
  void SetProduceDelay(std::chrono::milliseconds delay);

  // The partition's log (records with offsets set).
  std::vector<broker::Record> Log(const std::string& topic, int32_t partition) const;
  void Append(const std::string& topic, int32_t partition, broker::Record record);
  int produce_calls() const;
  // Records per partition entry of every Produce call, in arrival order.
  std::vector<int> entry_sizes() const;
  int max_concurrent_produces() const;

  grpc::Status Produce(grpc::ServerContext*, const broker::ProduceRequest* request,
                       broker::ProduceResponse* response) override;
  grpc::Status Fetch(grpc::ServerContext*, const broker::FetchRequest* request,
                     broker::FetchResponse* response) override;
  grpc::Status ListOffsets(grpc::ServerContext*, const broker::ListOffsetsRequest* request,
                           broker::ListOffsetsResponse* response) override;

  // Fetch/ListOffsets of partitions this broker does not lead answer NOT_LEADER_OR_FOLLOWER
  // naming `leader` when set here.
  void SetNotLeader(const std::string& topic, int32_t partition, keel::NodeAddress leader);

 private:
  const int id_;
  int port_ = 0;
  mutable std::mutex mu_;
  ProduceHook hook_;
  std::chrono::milliseconds delay_{0};
  std::map<std::pair<std::string, int32_t>, std::vector<broker::Record>> logs_;
  std::map<std::pair<std::string, int32_t>, keel::NodeAddress> not_leader_;
  int produce_calls_ = 0;
  int concurrent_ = 0;
  int max_concurrent_ = 0;
  std::vector<int> entry_sizes_;
  std::unique_ptr<grpc::Server> server_;
};

class FakeController final : public controller::AdminService::Service {
 public:
  FakeController();
  ~FakeController() override;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // topic -> partition -> leader broker id (partition i is the i-th entry).
  void SetTopic(const std::string& topic, std::vector<int32_t> leaders);
  void SetBroker(int32_t id, const std::string& address);

  // While set, every call answers UNAVAILABLE with this message, naming `leader` (if its
  // address is not empty) in the trailing metadata as a follower does.
  void SetRefusal(std::optional<std::string> message, keel::NodeAddress leader = {});
  // CreateTopics answers with this status instead (one shot per call, counted).
  void SetCreateTopicsStatus(grpc::Status status);

  int describe_topics_calls() const;
  int create_topics_calls() const;
  int total_calls() const;

  grpc::Status CreateTopics(grpc::ServerContext* context,
                            const controller::CreateTopicsRequest* request,
                            controller::CreateTopicsResponse* response) override;
  grpc::Status DescribeTopics(grpc::ServerContext* context,
                              const controller::DescribeTopicsRequest* request,
                              controller::DescribeTopicsResponse* response) override;
  grpc::Status DescribeCluster(grpc::ServerContext* context,
                               const controller::DescribeClusterRequest* request,
                               controller::DescribeClusterResponse* response) override;

 private:
  std::optional<grpc::Status> RefuseLocked(grpc::ServerContext* context);

  int port_ = 0;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<int32_t>> topics_;
  std::map<int32_t, std::string> brokers_;
  std::optional<std::string> refusal_;
  keel::NodeAddress refusal_leader_;
  grpc::Status create_status_ = grpc::Status::OK;
  int describe_topics_calls_ = 0;
  int create_topics_calls_ = 0;
  int total_calls_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace keel::client::testing

#endif  // KEEL_CLIENT_TESTING_FAKE_CLUSTER_H_
