#include "tools/ctl/data_client.h"

#include "proto/controller.grpc.pb.h"
#include "tools/ctl/cluster_client.h"

namespace keel::keelctl {

bool IsRetriable(keel::ErrorCode code) {
  switch (code) {
    case keel::NOT_LEADER_OR_FOLLOWER:
    case keel::LEADER_NOT_AVAILABLE:
    case keel::UNKNOWN_TOPIC_OR_PARTITION:  // a broker that has not applied the topic yet
    case keel::REQUEST_TIMED_OUT:
    case keel::BROKER_NOT_AVAILABLE:
    case keel::NOT_ENOUGH_REPLICAS:
    case keel::NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case keel::FENCED_LEADER_EPOCH:
    case keel::UNKNOWN_LEADER_EPOCH:
      return true;
    default:
      return false;
  }
}

bool IsRetriable(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAVAILABLE ||
         status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

DataClient::DataClient(const GlobalOptions& g, std::string topic)
    : g_(g),
      topic_(std::move(topic)),
      deadline_(std::chrono::steady_clock::now() + std::chrono::milliseconds(g.timeout_ms)) {}

std::chrono::milliseconds DataClient::Remaining() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

std::chrono::system_clock::time_point DataClient::CallDeadline(
    std::chrono::milliseconds cap) const {
  return std::chrono::system_clock::now() + std::min(Remaining(), cap);
}

std::shared_ptr<grpc::Channel> DataClient::Channel(const std::string& address) {
  auto& channel = channels_[address];
  if (channel == nullptr) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  return channel;
}

std::string DataClient::LeaderAddress(int partition) const {
  auto it = leaders_.find(partition);
  return it == leaders_.end() ? "" : it->second;
}

void DataClient::HintLeader(int partition, const keel::NodeAddress& leader) {
  if (!leader.address().empty()) leaders_[partition] = leader.address();
}

grpc::Status DataClient::Refresh(int fallback_partition) {
  std::vector<std::string> controllers = SplitAddresses(g_.controllers);
  if (controllers.empty()) {
    std::vector<std::string> brokers = SplitAddresses(g_.brokers);
    if (brokers.empty()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "no controllers or brokers given (use --controllers or "
                          "KEEL_CONTROLLERS, or --brokers with --partition)");
    }
    if (fallback_partition < 0) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "without --controllers the partitions are unknown: pass --partition");
    }
    partitions_ = {fallback_partition};
    // Rotate through the bootstrap brokers; NOT_LEADER_OR_FOLLOWER hints correct it.
    if (leaders_.count(fallback_partition) == 0) {
      leaders_[fallback_partition] = brokers[bootstrap_next_++ % brokers.size()];
    }
    return grpc::Status::OK;
  }
  ClusterClient client(controllers, Remaining());
  controller::DescribeTopicsRequest request;
  request.add_names(topic_);
  controller::DescribeTopicsResponse topics;
  grpc::Status status = client.CallAny([&](const auto& channel, grpc::ClientContext* context) {
    topics.Clear();
    return controller::AdminService::NewStub(channel)->DescribeTopics(context, request, &topics);
  });
  if (!status.ok()) return status;
  controller::DescribeClusterResponse cluster;
  status = client.CallAny([&](const auto& channel, grpc::ClientContext* context) {
    cluster.Clear();
    return controller::AdminService::NewStub(channel)->DescribeCluster(
        context, controller::DescribeClusterRequest(), &cluster);
  });
  if (!status.ok()) return status;
  std::map<int, std::string> broker_address;
  for (const auto& b : cluster.brokers()) {
    if (b.endpoints().empty()) continue;
    broker_address[b.broker_id()] =
        b.endpoints(0).host() + ":" + std::to_string(b.endpoints(0).port());
  }
  if (topics.topics().empty()) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "UNKNOWN_TOPIC_OR_PARTITION: Topic '" + topic_ + "' does not exist.");
  }
  partitions_.clear();
  leaders_.clear();
  for (const auto& p : topics.topics(0).partitions()) {
    partitions_.push_back(p.partition());
    auto it = broker_address.find(p.leader());
    if (p.leader() >= 0 && it != broker_address.end()) leaders_[p.partition()] = it->second;
  }
  std::sort(partitions_.begin(), partitions_.end());
  return grpc::Status::OK;
}

}  // namespace keel::keelctl
