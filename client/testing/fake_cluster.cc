#include "client/testing/fake_cluster.h"

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace keel::client::testing {

std::unique_ptr<grpc::Server> StartServer(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.SetMaxReceiveMessageSize(256 << 20);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

FakeBroker::FakeBroker(int id) : id_(id) { server_ = StartServer(this, &port_); }

FakeBroker::~FakeBroker() { server_->Shutdown(std::chrono::system_clock::now()); }

void FakeBroker::SetProduceHook(ProduceHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  hook_ = std::move(hook);
}

void FakeBroker::SetProduceDelay(std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_ = delay;
}

void FakeBroker::SetNotLeader(const std::string& topic, int32_t partition,
                              keel::NodeAddress leader) {
  std::lock_guard<std::mutex> lock(mu_);
  not_leader_[{topic, partition}] = std::move(leader);
}

std::vector<broker::Record> FakeBroker::Log(const std::string& topic, int32_t partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find({topic, partition});
  return it == logs_.end() ? std::vector<broker::Record>() : it->second;
}

void FakeBroker::Append(const std::string& topic, int32_t partition, broker::Record record) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& log = logs_[{topic, partition}];
  record.set_offset(static_cast<int64_t>(log.size()));
  log.push_back(std::move(record));
}

int FakeBroker::produce_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return produce_calls_;
}

std::vector<int> FakeBroker::entry_sizes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entry_sizes_;
}

int FakeBroker::max_concurrent_produces() const {
  std::lock_guard<std::mutex> lock(mu_);
  return max_concurrent_;
}

grpc::Status FakeBroker::Produce(grpc::ServerContext*, const broker::ProduceRequest* request,
                                 broker::ProduceResponse* response) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++produce_calls_;
    ++concurrent_;
    max_concurrent_ = std::max(max_concurrent_, concurrent_);
    delay = delay_;
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  std::lock_guard<std::mutex> lock(mu_);
  --concurrent_;
  for (const auto& t : request->topics()) {
    auto* tr = response->add_topics();
    tr->set_topic(t.topic());
    for (const auto& p : t.partitions()) {
      entry_sizes_.push_back(p.records_size());
      auto* pr = tr->add_partitions();
      pr->set_partition(p.partition());
      Refusal refusal;
      if (hook_) refusal = hook_(t.topic(), p.partition(), p);
      if (refusal.error != keel::NONE) {
        pr->set_error(refusal.error);
        pr->set_error_message("refused by the fake broker");
        *pr->mutable_leader() = refusal.leader;
        pr->set_base_offset(-1);
        continue;
      }
      auto& log = logs_[{t.topic(), p.partition()}];
      pr->set_base_offset(static_cast<int64_t>(log.size()));
      for (const auto& r : p.records()) {
        broker::Record copy = r;
        copy.set_offset(static_cast<int64_t>(log.size()));
        log.push_back(std::move(copy));
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeBroker::Fetch(grpc::ServerContext*, const broker::FetchRequest* request,
                               broker::FetchResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : request->topics()) {
    auto* tr = response->add_topics();
    tr->set_topic(t.topic());
    for (const auto& p : t.partitions()) {
      auto* pr = tr->add_partitions();
      pr->set_partition(p.partition());
      auto nl = not_leader_.find({t.topic(), p.partition()});
      if (nl != not_leader_.end()) {
        pr->set_error(keel::NOT_LEADER_OR_FOLLOWER);
        *pr->mutable_leader() = nl->second;
        continue;
      }
      const auto& log = logs_[{t.topic(), p.partition()}];
      pr->set_high_watermark(static_cast<int64_t>(log.size()));
      if (p.fetch_offset() > static_cast<int64_t>(log.size())) {
        pr->set_error(keel::OFFSET_OUT_OF_RANGE);
        continue;
      }
      if (p.fetch_offset() == static_cast<int64_t>(log.size())) continue;
      auto* batch = pr->add_batches();
      batch->set_base_offset(p.fetch_offset());
      for (size_t i = static_cast<size_t>(p.fetch_offset()); i < log.size(); ++i) {
        *batch->add_records() = log[i];
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeBroker::ListOffsets(grpc::ServerContext*,
                                     const broker::ListOffsetsRequest* request,
                                     broker::ListOffsetsResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& t : request->topics()) {
    auto* tr = response->add_topics();
    tr->set_topic(t.topic());
    for (const auto& p : t.partitions()) {
      auto* pr = tr->add_partitions();
      pr->set_partition(p.partition());
      auto nl = not_leader_.find({t.topic(), p.partition()});
      if (nl != not_leader_.end()) {
        pr->set_error(keel::NOT_LEADER_OR_FOLLOWER);
        *pr->mutable_leader() = nl->second;
        continue;
      }
      const auto& log = logs_[{t.topic(), p.partition()}];
      if (p.timestamp_ms() == -2) {
        pr->set_offset(0);
      } else if (p.timestamp_ms() == -1) {
        pr->set_offset(static_cast<int64_t>(log.size()));
      } else {
        int64_t offset = static_cast<int64_t>(log.size());
        for (const auto& r : log) {
          if (r.timestamp_ms() >= p.timestamp_ms()) {
            offset = r.offset();
            break;
          }
        }
        pr->set_offset(offset);
      }
    }
  }
  return grpc::Status::OK;
}

FakeController::FakeController() { server_ = StartServer(this, &port_); }

FakeController::~FakeController() { server_->Shutdown(std::chrono::system_clock::now()); }

void FakeController::SetTopic(const std::string& topic, std::vector<int32_t> leaders) {
  std::lock_guard<std::mutex> lock(mu_);
  topics_[topic] = std::move(leaders);
}

void FakeController::SetBroker(int32_t id, const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  brokers_[id] = address;
}

void FakeController::SetRefusal(std::optional<std::string> message, keel::NodeAddress leader) {
  std::lock_guard<std::mutex> lock(mu_);
  refusal_ = std::move(message);
  refusal_leader_ = std::move(leader);
}

void FakeController::SetCreateTopicsStatus(grpc::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  create_status_ = std::move(status);
}

int FakeController::describe_topics_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return describe_topics_calls_;
}

int FakeController::create_topics_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return create_topics_calls_;
}

int FakeController::total_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_calls_;
}

std::optional<grpc::Status> FakeController::RefuseLocked(grpc::ServerContext* context) {
  ++total_calls_;
  if (!refusal_.has_value()) return std::nullopt;
  if (!refusal_leader_.address().empty()) {
    context->AddTrailingMetadata("keel-leader-id", std::to_string(refusal_leader_.node_id()));
    context->AddTrailingMetadata("keel-leader-address", refusal_leader_.address());
  }
  return grpc::Status(grpc::StatusCode::UNAVAILABLE, *refusal_);
}

grpc::Status FakeController::CreateTopics(grpc::ServerContext* context,
                                          const controller::CreateTopicsRequest* request,
                                          controller::CreateTopicsResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  ++create_topics_calls_;
  if (auto refused = RefuseLocked(context)) return *refused;
  if (!create_status_.ok()) return create_status_;
  for (const auto& t : request->topics()) {
    auto* r = response->add_results();
    r->set_name(t.name());
    if (topics_.count(t.name()) > 0) {
      r->set_error(keel::TOPIC_ALREADY_EXISTS);
      r->set_error_message("TOPIC_ALREADY_EXISTS: exists");
      continue;
    }
    topics_[t.name()] = std::vector<int32_t>(t.num_partitions(), brokers_.empty() ? -1
                                                                   : brokers_.begin()->first);
  }
  return grpc::Status::OK;
}

grpc::Status FakeController::DescribeTopics(grpc::ServerContext* context,
                                            const controller::DescribeTopicsRequest* request,
                                            controller::DescribeTopicsResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  ++describe_topics_calls_;
  if (auto refused = RefuseLocked(context)) return *refused;
  auto describe = [&](const std::string& name) {
    auto* t = response->add_topics();
    t->set_name(name);
    auto it = topics_.find(name);
    if (it == topics_.end()) {
      t->set_error(keel::UNKNOWN_TOPIC_OR_PARTITION);
      return;
    }
    for (size_t i = 0; i < it->second.size(); ++i) {
      auto* p = t->add_partitions();
      p->set_partition(static_cast<int32_t>(i));
      p->set_leader(it->second[i]);
      p->set_leader_epoch(1);
    }
  };
  if (request->names().empty()) {
    for (const auto& [name, leaders] : topics_) describe(name);
  }
  for (const auto& name : request->names()) describe(name);
  return grpc::Status::OK;
}

grpc::Status FakeController::DescribeCluster(grpc::ServerContext* context,
                                             const controller::DescribeClusterRequest*,
                                             controller::DescribeClusterResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto refused = RefuseLocked(context)) return *refused;
  response->set_cluster_id("fake");
  for (const auto& [id, address] : brokers_) {
    auto* b = response->add_brokers();
    b->set_broker_id(id);
    std::vector<std::string> parts = absl::StrSplit(address, ':');
    auto* e = b->add_endpoints();
    e->set_name("DATA");
    e->set_host(parts[0]);
    int port = 0;
    if (parts.size() > 1 && absl::SimpleAtoi(parts[1], &port)) e->set_port(port);
  }
  return grpc::Status::OK;
}

}  // namespace keel::client::testing
