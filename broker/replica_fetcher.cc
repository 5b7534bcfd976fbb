#include "broker/replica_fetcher.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "controller/log.h"

namespace keel::broker {
namespace {

constexpr auto kIdlePause = std::chrono::milliseconds(100);
constexpr auto kErrorPause = std::chrono::milliseconds(50);

storage::RecordBatch FromWire(const RecordBatch& wire) {
  storage::RecordBatch b;
  b.base_offset = wire.base_offset();
  b.leader_epoch = wire.leader_epoch();
  b.records.reserve(wire.records_size());
  for (const Record& r : wire.records()) {
    storage::Record s;
    s.key = r.key();
    s.value = r.value();
    s.timestamp_ms = r.timestamp_ms();
    for (const auto& h : r.headers()) s.headers.push_back({h.key(), h.value()});
    b.max_timestamp_ms = std::max(b.max_timestamp_ms, s.timestamp_ms);
    b.records.push_back(std::move(s));
  }
  return b;
}

}  // namespace

ReplicaFetcher::ReplicaFetcher(ReplicaFetcherOptions options, PartitionManager* partitions,
                               std::function<std::string(int32_t)> address_of,
                               std::function<int64_t()> broker_epoch)
    : options_(options),
      partitions_(partitions),
      address_of_(std::move(address_of)),
      broker_epoch_(std::move(broker_epoch)) {}

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
  auto stub = BrokerService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
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
    std::map<std::pair<std::string, int32_t>, std::shared_ptr<Partition>> by_key;
    std::map<std::string, FetchTopic*> topics;
    for (const auto& p : followed) {
      FetchTopic*& t = topics[p->topic()];
      if (t == nullptr) {
        t = fetch->add_topics();
        t->set_topic(p->topic());
      }
      FetchPartition* fp = t->add_partitions();
      fp->set_partition(p->partition());
      fp->set_fetch_offset(p->log()->log_end_offset());
      fp->set_partition_max_bytes(options_.partition_max_bytes);
      fp->set_current_leader_epoch(p->assignment().leader_epoch);
      fp->set_last_fetched_epoch(p->LastFetchedEpoch());
      by_key[{p->topic(), p->partition()}] = p;
    }
    ReplicaFetchResponse response;
    if (!stream->Write(request) || !stream->Read(&response)) break;
    bool pause = false;
    for (const FetchTopicData& t : response.fetch().topics()) {
      for (const FetchPartitionData& d : t.partitions()) {
        auto it = by_key.find({t.topic(), d.partition()});
        if (it == by_key.end()) continue;
        pause |= !Apply(*it->second, d);
      }
    }
    if (pause) std::this_thread::sleep_for(kErrorPause);
  }
  context.TryCancel();
  (void)stream->Finish();
  std::lock_guard<std::mutex> lock(mu_);
  contexts_.erase(leader_id);
}

bool ReplicaFetcher::Apply(Partition& p, const FetchPartitionData& data) {
  if (data.error() == keel::OFFSET_OUT_OF_RANGE &&
      p.log()->log_end_offset() < data.log_start_offset()) {
    KEEL_LOG_INFO("{}-{}: the leader starts at {}, past our end {}; starting over there",
                  p.topic(), p.partition(), data.log_start_offset(), p.log()->log_end_offset());
    if (absl::Status s = p.ResetTo(data.log_start_offset()); !s.ok()) {
      KEEL_LOG_ERROR("{}-{}: reset failed: {}", p.topic(), p.partition(), s.ToString());
    }
    (void)partitions_->SaveEpochHistory(p);
    return true;
  }
  if (data.error() != keel::NONE) return false;  // epochs or leadership: wait for metadata
  if (data.has_diverging_epoch()) {
    // Truncate to the smaller of where the leader's epoch ends and where ours does.
    int64_t target = data.diverging_epoch().end_offset();
    if (data.diverging_epoch().epoch() >= 0) {
      auto [epoch, ours] = p.EndOffsetForEpoch(data.diverging_epoch().epoch());
      if (epoch == data.diverging_epoch().epoch()) target = std::min(target, ours);
    }
    target = std::min(target, p.log()->log_end_offset());
    KEEL_LOG_INFO("{}-{}: log diverges from the leader's at epoch {}; truncating from {} to {}",
                  p.topic(), p.partition(), data.diverging_epoch().epoch(),
                  p.log()->log_end_offset(), target);
    if (absl::Status s = p.TruncateTo(target); !s.ok()) {
      KEEL_LOG_ERROR("{}-{}: truncation failed: {}", p.topic(), p.partition(), s.ToString());
      return false;
    }
    (void)partitions_->SaveEpochHistory(p);
    return true;
  }
  for (const RecordBatch& wire : data.batches()) {
    if (wire.records_size() == 0) continue;
    if (wire.base_offset() != p.log()->log_end_offset()) break;  // refetch from our end
    auto newer_epoch = p.AppendAsFollower(FromWire(wire));
    if (!newer_epoch.ok()) {
      KEEL_LOG_ERROR("{}-{}: follower append failed: {}", p.topic(), p.partition(),
                     newer_epoch.status().ToString());
      return false;
    }
    if (*newer_epoch) (void)partitions_->SaveEpochHistory(p);
  }
  p.SetHighWatermarkFromLeader(data.high_watermark());
  return true;
}

}  // namespace keel::broker
