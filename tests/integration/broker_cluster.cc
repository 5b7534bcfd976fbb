#include "tests/integration/broker_cluster.h"

#include <thread>

namespace keel::testing {
namespace {

bool Retriable(keel::ErrorCode e) {
  return e == keel::NOT_LEADER_OR_FOLLOWER || e == keel::UNKNOWN_TOPIC_OR_PARTITION ||
         e == keel::LEADER_NOT_AVAILABLE;
}

grpc::Status DescribeCluster(ControllerClient* client, controller::DescribeClusterResponse* out) {
  return client->Call(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        return controller::AdminService::NewStub(channel)->DescribeCluster(
            context, controller::DescribeClusterRequest(), out);
      },
      std::chrono::seconds(5));
}

}  // namespace

BrokerSet::BrokerSet(ControllerCluster* controllers, BrokerSetOptions options)
    : controllers_(controllers), options_(std::move(options)) {
  root_ = MakeTempDir("brokers");
  for (int id = 1; id <= options_.brokers; ++id) {
    Node node;
    node.id = id;
    node.port = PickFreePort();
    node.dir = root_ + "/broker" + std::to_string(id);
    node.process = std::make_unique<Process>();
    nodes_.emplace(id, std::move(node));
  }
}

BrokerSet::~BrokerSet() {
  for (auto& [id, node] : nodes_) node.process->Kill();
}

bool BrokerSet::StartAll() {
  for (auto& [id, node] : nodes_) {
    if (!StartBroker(id)) return false;
  }
  return true;
}

bool BrokerSet::StartBroker(int id) {
  Node& node = nodes_.at(id);
  std::vector<std::string> argv = {
      RunfilePath("broker/keel-broker"),
      "--broker_id=" + std::to_string(id),
      "--listen=127.0.0.1:" + std::to_string(node.port),
      "--controllers=" + controllers_->AllAddresses(),
      "--data_dirs=" + node.dir,
      "--cluster_id=" + controllers_->cluster_id(),
      "--heartbeat_interval_ms=" + std::to_string(options_.heartbeat_interval_ms),
      "--broker_session_timeout_ms=" + std::to_string(options_.session_timeout_ms),
  };
  for (const std::string& f : options_.extra_flags) argv.push_back(f);
  return node.process->Start(argv, BrokerLog(id));
}

void BrokerSet::KillBroker(int id) { nodes_.at(id).process->Kill(); }

int BrokerSet::TerminateBroker(int id, std::chrono::milliseconds grace) {
  return nodes_.at(id).process->Terminate(grace);
}

bool BrokerSet::IsRunning(int id) { return nodes_.at(id).process->running(); }

void BrokerSet::Suspend(int id) { nodes_.at(id).process->Stop(); }

void BrokerSet::Resume(int id) { nodes_.at(id).process->Continue(); }

bool BrokerSet::WaitAllUnfenced(ControllerClient* client, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    controller::DescribeClusterResponse cluster;
    if (DescribeCluster(client, &cluster).ok()) {
      int active = 0;
      int wanted = 0;
      for (auto& [id, node] : nodes_) {
        if (!node.process->running()) continue;
        ++wanted;
        for (const auto& b : cluster.brokers()) {
          if (b.broker_id() == id && !b.fenced() && !b.in_controlled_shutdown()) ++active;
        }
      }
      if (active == wanted) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string BrokerSet::Address(int id) const {
  return "127.0.0.1:" + std::to_string(nodes_.at(id).port);
}

std::string BrokerSet::DataDir(int id) const { return nodes_.at(id).dir; }

std::string BrokerSet::BrokerLog(int id) const {
  return root_ + "/broker" + std::to_string(id) + ".log";
}

std::vector<int> BrokerSet::ids() const {
  std::vector<int> out;
  for (const auto& [id, node] : nodes_) out.push_back(id);
  return out;
}

controller::CreateTopicsRequest OneTopicRequest(const std::string& name, int partitions,
                                                int replication_factor,
                                                const std::map<std::string, std::string>& configs) {
  controller::CreateTopicsRequest request;
  auto* t = request.add_topics();
  t->set_name(name);
  t->set_num_partitions(partitions);
  t->set_replication_factor(replication_factor);
  for (const auto& [k, v] : configs) (*t->mutable_configs())[k] = v;
  return request;
}

std::string CreateTopicWithConfigs(ControllerClient* client, const std::string& name,
                                   int partitions, int replication_factor,
                                   const std::map<std::string, std::string>& configs) {
  const controller::CreateTopicsRequest request =
      OneTopicRequest(name, partitions, replication_factor, configs);
  controller::CreateTopicsResponse response;
  grpc::Status s = client->Call(
      [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
        return controller::AdminService::NewStub(channel)->CreateTopics(context, request,
                                                                        &response);
      },
      std::chrono::seconds(10));
  if (!s.ok()) return s.error_message();
  if (response.results_size() != 1) return "no result";
  if (response.results(0).error() != keel::NONE) return response.results(0).error_message();
  return "";
}

void PrintBrokerLogTails(const BrokerSet& brokers, int lines) {
  for (int id : brokers.ids()) {
    std::string out;
    RunCommand({"/usr/bin/tail", "-n", std::to_string(lines), brokers.BrokerLog(id)}, &out,
               std::chrono::seconds(5));
    std::fprintf(stderr, "--- broker %d log tail ---\n%s\n", id, out.c_str());
  }
}

DataClient::DataClient(ControllerClient* controllers) {
  client::AdminClientOptions options;
  options.controllers = controllers->addresses();
  options.request_timeout_ms = 3000;
  options.default_timeout_ms = 10000;
  options.retry_backoff_ms = 50;
  cache_ = std::make_shared<client::MetadataCache>(std::make_shared<client::AdminClient>(options),
                                                   std::vector<std::string>{});
}

bool DataClient::Refresh() { return cache_->Refresh({}, std::chrono::seconds(10)).ok(); }

int DataClient::Leader(const std::string& topic, int partition) {
  // A controller follower may not have applied a just-created topic yet: ask again briefly.
  for (int attempt = 0; attempt < 50; ++attempt) {
    Refresh();
    auto t = cache_->Cached(topic);
    const client::PartitionMetadata* p = t == nullptr ? nullptr : t->Find(partition);
    if (p != nullptr && p->leader_id >= 0) return p->leader_id;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

std::shared_ptr<broker::BrokerService::Stub> DataClient::StubFor(int broker_id) {
  std::string address = cache_->BrokerAddress(broker_id);
  if (address.empty()) {
    Refresh();
    address = cache_->BrokerAddress(broker_id);
  }
  return address.empty() ? nullptr : cache_->Stub(address);
}

std::shared_ptr<broker::BrokerService::Stub> DataClient::LeaderStub(const std::string& topic,
                                                                    int partition) {
  auto t = cache_->Cached(topic);
  const client::PartitionMetadata* p = t == nullptr ? nullptr : t->Find(partition);
  if (p == nullptr || p->leader_id < 0) {
    Refresh();
    t = cache_->Cached(topic);
    p = t == nullptr ? nullptr : t->Find(partition);
  }
  if (p == nullptr || p->leader_id < 0 || p->leader_address.empty()) return nullptr;
  return cache_->Stub(p->leader_address);
}

DataClient::ProduceResult DataClient::Produce(
    const std::string& topic, int partition,
    const std::vector<std::pair<std::string, std::string>>& records, broker::Acks acks,
    std::chrono::milliseconds timeout) {
  broker::ProduceRequest request;
  request.set_acks(acks);
  auto* t = request.add_topics();
  t->set_topic(topic);
  auto* p = t->add_partitions();
  p->set_partition(partition);
  for (const auto& [k, v] : records) {
    auto* r = p->add_records();
    r->set_key(k);
    r->set_value(v);
  }
  ProduceResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::shared_ptr<broker::BrokerService::Stub> stub = LeaderStub(topic, partition);
    if (stub != nullptr) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      broker::ProduceResponse response;
      grpc::Status s = stub->Produce(&context, request, &response);
      if (s.ok() && response.topics_size() == 1 && response.topics(0).partitions_size() == 1) {
        const auto& pr = response.topics(0).partitions(0);
        result.error = pr.error();
        result.message = pr.error_message();
        result.base_offset = pr.base_offset();
        if (!Retriable(pr.error())) return result;
      } else {
        result.error = keel::BROKER_NOT_AVAILABLE;
        result.message = s.error_message();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return result;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Refresh();
  }
}

broker::FetchPartitionData DataClient::Fetch(const std::string& topic, int partition,
                                             int64_t offset, int32_t max_bytes,
                                             int32_t max_wait_ms,
                                             std::chrono::milliseconds timeout) {
  broker::FetchRequest request;
  request.set_max_wait_ms(max_wait_ms);
  auto* t = request.add_topics();
  t->set_topic(topic);
  auto* p = t->add_partitions();
  p->set_partition(partition);
  p->set_fetch_offset(offset);
  p->set_partition_max_bytes(max_bytes);
  p->set_current_leader_epoch(-1);
  broker::FetchPartitionData result;
  result.set_error(keel::BROKER_NOT_AVAILABLE);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::shared_ptr<broker::BrokerService::Stub> stub = LeaderStub(topic, partition);
    if (stub != nullptr) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::milliseconds(max_wait_ms + 10000));
      broker::FetchResponse response;
      grpc::Status s = stub->Fetch(&context, request, &response);
      if (s.ok() && response.topics_size() == 1 && response.topics(0).partitions_size() == 1) {
        result = response.topics(0).partitions(0);
        if (!Retriable(result.error())) return result;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return result;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Refresh();
  }
}

broker::ListOffsetsPartitionResult DataClient::ListOffset(const std::string& topic, int partition,
                                                          int64_t timestamp_ms) {
  broker::ListOffsetsPartitionResult result;
  result.set_error(keel::BROKER_NOT_AVAILABLE);
  const int leader = Leader(topic, partition);
  auto stub = leader < 0 ? nullptr : StubFor(leader);
  if (stub == nullptr) return result;
  broker::ListOffsetsRequest request;
  auto* t = request.add_topics();
  t->set_topic(topic);
  auto* p = t->add_partitions();
  p->set_partition(partition);
  p->set_timestamp_ms(timestamp_ms);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  broker::ListOffsetsResponse response;
  if (stub->ListOffsets(&context, request, &response).ok() && response.topics_size() == 1 &&
      response.topics(0).partitions_size() == 1) {
    result = response.topics(0).partitions(0);
  }
  return result;
}

}  // namespace keel::testing
