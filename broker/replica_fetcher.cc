#include "broker/replica_fetcher.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "broker/replica_apply.h"
#include "common/logging.h"

namespace keel::broker {
namespace {

constexpr auto kIdlePause = std::chrono::milliseconds(100);
constexpr auto kErrorPause = std::chrono::milliseconds(50);

}  // namespace

ReplicaFetcher::ReplicaFetcher(ReplicaFetcherOptions options, PartitionManager* partitions,
                               std::function<std::string(int32_t)> address_of,
                               std::function<int64_t()> broker_epoch,
                               std::function<std::shared_ptr<grpc::Channel>(const std::string&)>
                                   channels)
    : options_(options),
      partitions_(partitions),
      address_of_(std::move(address_of)),
      broker_epoch_(std::move(broker_epoch)),
      channels_(std::move(channels)) {
  if (channels_ == nullptr) {
    channels_ = [](const std::string& address) {
      return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    };
  }
}

ReplicaFetcher::~ReplicaFetcher() { Stop(); }

void ReplicaFetcher::Reconcile() {
  std::set<int32_t> leaders;
  for (const auto& p : partitions_->All()) {
    const PartitionAssignment a = p->assignment();
    if (a.leader >= 0 && a.leader != options_.broker_id) leaders.insert(a.leader);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stop_) return;
  for (int32_t leader : leaders) {
    if (threads_.count(leader)) continue;
    threads_[leader] = std::thread([this, leader] { Run(leader); });
  }
}

void ReplicaFetcher::Stop() {
  std::map<int32_t, std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    for (auto& [leader, context] : contexts_) context->TryCancel();
    threads.swap(threads_);
  }
  for (auto& [leader, t] : threads) t.join();
}

std::vector<std::shared_ptr<Partition>> ReplicaFetcher::FollowedAt(int32_t leader_id) const {
  std::vector<std::shared_ptr<Partition>> out;
  for (auto& p : partitions_->All()) {
    if (p->assignment().leader == leader_id) out.push_back(std::move(p));
  }
  return out;
}

void ReplicaFetcher::Run(int32_t leader_id) {
  while (!stop_) {
    if (FollowedAt(leader_id).empty()) {
      std::this_thread::sleep_for(kIdlePause);
      continue;
    }
    const std::string address = address_of_(leader_id);
    if (address.empty()) {
      std::this_thread::sleep_for(kIdlePause);
      continue;
    }
    FollowStream(leader_id, address);
    if (!stop_) std::this_thread::sleep_for(kIdlePause);
  }
}

void ReplicaFetcher::FollowStream(int32_t leader_id, const std::string& address) {
  auto stub = BrokerService::NewStub(channels_(address));
  grpc::ClientContext context;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    contexts_[leader_id] = &context;
  }
  auto stream = stub->ReplicaFetch(&context);
  while (!stop_) {
    std::vector<std::shared_ptr<Partition>> followed = FollowedAt(leader_id);
    if (followed.empty()) break;
    if (address_of_(leader_id) != address) break;  // the leader moved to a new address
    ReplicaFetchRequest request;
    request.set_replica_id(options_.broker_id);
    request.set_broker_epoch(broker_epoch_());
    FetchRequest* fetch = request.mutable_fetch();
    fetch->set_max_wait_ms(options_.max_wait_ms);
    fetch->set_max_bytes(options_.max_bytes);
    // The epoch each partition is fetched in, read once: the answer is applied only while
    // the replica still follows in it.
    std::map<std::pair<std::string, int32_t>, std::pair<std::shared_ptr<Partition>, int32_t>>
        by_key;
    std::map<std::string, FetchTopic*> topics;
    for (const auto& p : followed) {
      const PartitionAssignment a = p->assignment();
      if (a.leader != leader_id) continue;  // moved since FollowedAt
      FetchTopic*& t = topics[p->topic()];
      if (t == nullptr) {
        t = fetch->add_topics();
        t->set_topic(p->topic());
      }
      FetchPartition* fp = t->add_partitions();
      fp->set_partition(p->partition());
      fp->set_fetch_offset(p->log()->log_end_offset());
      fp->set_partition_max_bytes(options_.partition_max_bytes);
      fp->set_current_leader_epoch(a.leader_epoch);
      fp->set_last_fetched_epoch(p->LastFetchedEpoch());
      by_key[{p->topic(), p->partition()}] = {p, a.leader_epoch};
    }
    ReplicaFetchResponse response;
    if (!stream->Write(request) || !stream->Read(&response)) break;
    bool pause = false;
    for (const FetchTopicData& t : response.fetch().topics()) {
      for (const FetchPartitionData& d : t.partitions()) {
        auto it = by_key.find({t.topic(), d.partition()});
        if (it == by_key.end()) continue;
        pause |= !ApplyReplicaFetch(*it->second.first, d, it->second.second, partitions_);
      }
    }
    if (pause) std::this_thread::sleep_for(kErrorPause);
  }
  context.TryCancel();
  (void)stream->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  contexts_.erase(leader_id);
}

}  // namespace keel::broker
