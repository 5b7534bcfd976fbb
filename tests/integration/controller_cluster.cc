#include "tests/integration/controller_cluster.h"

#include <unistd.h>

#include <algorithm>
#include <map>

namespace keel::testing {
namespace {

std::chrono::system_clock::time_point DeadlineIn(std::chrono::milliseconds d) {
  return std::chrono::system_clock::now() + d;
}

}  // namespace

ControllerCluster::ControllerCluster(ControllerClusterOptions options)
    : options_(std::move(options)) {
  root_ = MakeTempDir("controllers");
  cluster_id_ = "test-cluster-" + std::to_string(::getpid());
  for (int id = 1; id <= options_.voters; ++id) {
    Node node;
    node.id = id;
    node.port = PickFreePort();
    if (options_.serve_metrics) node.metrics_port = PickFreePort();
    node.dir = root_ + "/node" + std::to_string(id);
    node.process = std::make_unique<Process>();
    if (!voters_flag_.empty()) voters_flag_ += ",";
    voters_flag_ += std::to_string(id) + "@127.0.0.1:" + std::to_string(node.port);
    nodes_.emplace(id, std::move(node));
  }
}

ControllerCluster::~ControllerCluster() {
  for (auto& [id, node] : nodes_) node.process->Kill();
}

bool ControllerCluster::StartAll() {
  for (auto& [id, node] : nodes_) {
    if (!StartNode(id)) return false;
  }
  return true;
}

bool ControllerCluster::StartNode(int id) {
  Node& node = nodes_.at(id);
  std::vector<std::string> argv = {
      RunfilePath("controller/keel-controller"),
      "--node_id=" + std::to_string(id),
      "--listen=127.0.0.1:" + std::to_string(node.port),
      "--voters=" + voters_flag_,
      "--data_dir=" + node.dir,
      "--cluster_id=" + cluster_id_,
      "--election_timeout_ms=" + std::to_string(options_.election_timeout_ms),
      "--heartbeat_interval_ms=" + std::to_string(options_.heartbeat_interval_ms),
      "--snapshot_every_entries=" + std::to_string(options_.snapshot_every_entries),
  };
  if (node.metrics_port != 0) {
    argv.push_back("--metrics_address=127.0.0.1:" + std::to_string(node.metrics_port));
  }
  for (const std::string& f : options_.extra_flags) argv.push_back(f);
  return node.process->Start(argv, root_ + "/node" + std::to_string(id) + ".log");
}

void ControllerCluster::KillNode(int id) { nodes_.at(id).process->Kill(); }
void ControllerCluster::PauseNode(int id) { nodes_.at(id).process->Stop(); }
void ControllerCluster::ResumeNode(int id) { nodes_.at(id).process->Continue(); }

int ControllerCluster::TerminateNode(int id, std::chrono::milliseconds grace) {
  return nodes_.at(id).process->Terminate(grace);
}

bool ControllerCluster::IsRunning(int id) { return nodes_.at(id).process->running(); }

std::string ControllerCluster::Address(int id) const {
  return "127.0.0.1:" + std::to_string(nodes_.at(id).port);
}

std::string ControllerCluster::AllAddresses() const {
  std::string out;
  for (const auto& [id, node] : nodes_) {
    if (!out.empty()) out += ",";
    out += Address(id);
  }
  return out;
}

std::vector<int> ControllerCluster::ids() const {
  std::vector<int> out;
  for (const auto& [id, node] : nodes_) out.push_back(id);
  return out;
}

std::string ControllerCluster::NodeLog(int id) const {
  return nodes_.at(id).process->LogTail();
}

grpc::Status ControllerCluster::DescribeQuorum(int id,
                                               controller::DescribeQuorumResponse* response) {
  auto stub = controller::QuorumService::NewStub(
      grpc::CreateChannel(Address(id), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(std::chrono::seconds(2)));
  return stub->DescribeQuorum(&context, controller::DescribeQuorumRequest(), response);
}

int ControllerCluster::WaitForLeader(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  const int majority = options_.voters / 2 + 1;
  while (std::chrono::steady_clock::now() < deadline) {
    std::map<int, int> votes;
    for (auto& [id, node] : nodes_) {
      if (!node.process->running()) continue;
      controller::DescribeQuorumResponse response;
      if (DescribeQuorum(id, &response).ok() && response.leader_id() > 0) {
        ++votes[response.leader_id()];
      }
    }
    for (const auto& [leader, count] : votes) {
      if (count >= majority && IsRunning(leader)) return leader;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

ControllerClient::ControllerClient(std::vector<std::string> addresses)
    : addresses_(addresses), admin_([&] {
        client::AdminClientOptions options;
        options.controllers = std::move(addresses);
        options.request_timeout_ms = 3000;
        options.retry_backoff_ms = 50;
        return options;
      }()) {
  for (const std::string& a : addresses_) {
    channels_.push_back(grpc::CreateChannel(a, grpc::InsecureChannelCredentials()));
  }
}

grpc::Status ControllerClient::Call(
    const std::function<grpc::Status(const std::shared_ptr<grpc::Channel>&,
                                     grpc::ClientContext*)>& call,
    std::chrono::milliseconds timeout) {
  // Tests retry every unanswered attempt (as they did before the client library existed);
  // the redirect loop is client::AdminClient's.
  return admin_.Run(client::AdminClient::Target::kLeader, client::AdminClient::Retry::kIdempotent,
                    call, timeout);
}

grpc::Status ControllerClient::CreateTopic(const std::string& name, int partitions,
                                           int replication_factor,
                                           controller::CreateTopicsResponse* response,
                                           std::chrono::milliseconds timeout) {
  controller::CreateTopicsRequest request;
  auto* topic = request.add_topics();
  topic->set_name(name);
  topic->set_num_partitions(partitions);
  topic->set_replication_factor(replication_factor);
  return Call(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        response->Clear();
        return controller::AdminService::NewStub(channel)->CreateTopics(context, request,
                                                                        response);
      },
      timeout);
}

grpc::Status ControllerClient::DescribeTopics(controller::DescribeTopicsResponse* response,
                                              int node_index) {
  if (node_index >= 0) {
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(std::chrono::seconds(3)));
    return controller::AdminService::NewStub(channels_[node_index])
        ->DescribeTopics(&context, controller::DescribeTopicsRequest(), response);
  }
  return Call(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        response->Clear();
        return controller::AdminService::NewStub(channel)->DescribeTopics(
            context, controller::DescribeTopicsRequest(), response);
      },
      std::chrono::seconds(10));
}

FakeBroker::FakeBroker(ControllerClient* client, int broker_id, std::string cluster_id)
    : client_(client), broker_id_(broker_id), cluster_id_(std::move(cluster_id)) {}

FakeBroker::~FakeBroker() { StopHeartbeats(); }

grpc::Status FakeBroker::Register(std::chrono::milliseconds timeout) {
  controller::RegisterBrokerRequest request;
  request.set_broker_id(broker_id_);
  request.set_cluster_id(cluster_id_);
  request.set_incarnation_id(!incarnation_.empty() ? incarnation_
                                                  : "fake-" + std::to_string(broker_id_) + "-" +
                                                        std::to_string(::getpid()));
  auto* endpoint = request.add_endpoints();
  endpoint->set_name("DATA");
  endpoint->set_host("127.0.0.1");
  endpoint->set_port(30000 + broker_id_);
  controller::RegisterBrokerResponse response;
  grpc::Status status = client_->Call(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        return controller::BrokerLifecycleService::NewStub(channel)->RegisterBroker(
            context, request, &response);
      },
      timeout);
  if (status.ok()) epoch_ = response.broker_epoch();
  return status;
}

void FakeBroker::StartHeartbeats() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_) {
      controller::BrokerHeartbeatRequest request;
      request.set_broker_id(broker_id_);
      request.set_broker_epoch(epoch_);
      // A fake broker has no log to catch up: claim the registration offset.
      request.set_current_metadata_offset(epoch_);
      controller::BrokerHeartbeatResponse response;
      grpc::Status status = client_->Call(
          [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
            return controller::BrokerLifecycleService::NewStub(channel)->BrokerHeartbeat(
                context, request, &response);
          },
          std::chrono::seconds(2));
      if (status.ok()) fenced_ = response.is_fenced();
      for (int i = 0; i < 10 && !stop_; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  });
}

void FakeBroker::StopHeartbeats() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace keel::testing
