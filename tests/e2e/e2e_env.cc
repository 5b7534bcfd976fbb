#include "tests/e2e/e2e_env.h"

#include <map>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "proto/controller.grpc.pb.h"
#include "storage/log.h"

namespace keel::e2e {
namespace {

using std::chrono::milliseconds;

grpc::Status DescribeQuorum(Cluster* cluster, int id, controller::DescribeQuorumResponse* out,
                            milliseconds deadline = milliseconds(1000)) {
  auto stub = controller::QuorumService::NewStub(
      grpc::CreateChannel(cluster->ControllerAddress(id), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  return stub->DescribeQuorum(&context, controller::DescribeQuorumRequest(), out);
}

std::unique_ptr<controller::AdminService::Stub> AdminStub(Cluster* cluster, int id) {
  return controller::AdminService::NewStub(
      grpc::CreateChannel(cluster->ControllerAddress(id), grpc::InsecureChannelCredentials()));
}

int CurrentLeader(Cluster* cluster) {
  std::map<int, int> votes;
  for (int id : cluster->controller_ids()) {
    controller::DescribeQuorumResponse r;
    if (DescribeQuorum(cluster, id, &r, milliseconds(500)).ok() && r.leader_id() > 0) {
      ++votes[r.leader_id()];
    }
  }
  for (const auto& [leader, count] : votes) {
    if (count > static_cast<int>(cluster->controller_ids().size()) / 2) return leader;
  }
  return -1;
}

}  // namespace

int WaitForControllerLeader(Cluster* cluster, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const int leader = CurrentLeader(cluster);
    if (leader > 0) return leader;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return -1;
}

bool ControllerKnowsLeader(Cluster* cluster, int id) {
  controller::DescribeQuorumResponse r;
  return DescribeQuorum(cluster, id, &r, milliseconds(500)).ok() && r.leader_id() > 0;
}

bool BrokersUnfenced(Cluster* cluster, int only_id) {
  const int leader = CurrentLeader(cluster);
  if (leader < 0) return false;
  controller::DescribeClusterResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + milliseconds(1000));
  if (!AdminStub(cluster, leader)
           ->DescribeCluster(&context, controller::DescribeClusterRequest(), &response)
           .ok()) {
    return false;
  }
  for (int id : cluster->broker_ids()) {
    if (only_id > 0 && id != only_id) continue;
    if (!cluster->broker(id).Running()) {
      if (only_id > 0) return false;
      continue;
    }
    bool active = false;
    for (const auto& b : response.brokers()) {
      if (b.broker_id() == id && !b.fenced() && !b.in_controlled_shutdown()) active = true;
    }
    if (!active) return false;
  }
  return true;
}

bool WaitBrokersUnfenced(Cluster* cluster, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (BrokersUnfenced(cluster)) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

controller::TopicDescription DescribeTopic(Cluster* cluster, const std::string& topic) {
  controller::TopicDescription out;
  const int leader = CurrentLeader(cluster);
  if (leader < 0) return out;
  controller::DescribeTopicsRequest request;
  request.add_names(topic);
  controller::DescribeTopicsResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + milliseconds(1000));
  if (AdminStub(cluster, leader)->DescribeTopics(&context, request, &response).ok()) {
    for (const auto& t : response.topics()) {
      if (t.name() == topic) out = t;
    }
  }
  return out;
}

bool WaitForIsr(Cluster* cluster, const std::string& topic, int isr_size, milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    controller::TopicDescription t = DescribeTopic(cluster, topic);
    bool all = t.partitions_size() > 0;
    for (const auto& p : t.partitions()) {
      if (p.leader() <= 0 || p.isr_size() != isr_size) all = false;
    }
    if (all) return true;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> ReadReplicaFromDisk(const std::string& dir) {
  auto log = storage::Log::Open(dir, storage::LogOptions{});
  if (!log.ok()) return log.status();
  std::vector<std::string> out;
  int64_t offset = (*log)->log_start_offset();
  while (offset < (*log)->log_end_offset()) {
    auto batches = (*log)->Read(offset, 1 << 20);
    if (!batches.ok()) return batches.status();
    if (batches->empty()) break;
    for (const auto& b : *batches) {
      for (const auto& r : b.records) out.push_back(r.value);
      offset = b.next_offset();
    }
  }
  return out;
}

}  // namespace keel::e2e
