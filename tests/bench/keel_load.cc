#include "tests/bench/keel_load.h"

#include <chrono>
#include <random>
#include <utility>

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Incompressible bytes, the same for every record (the broker does not compress).
std::string RandomValue(int32_t bytes) {
  std::mt19937_64 rng(42);
  std::string value(static_cast<size_t>(bytes), '\0');
  for (char& c : value) c = static_cast<char>(rng());
  return value;
}

}  // namespace

std::unique_ptr<KeelTopic> KeelTopic::Prepare(const std::string& topic, int partitions,
                                              const LoadShape& shape,
                                              testing::DataClient* data_client,
                                              const testing::BrokerSet* brokers,
                                              std::string* error) {
  std::unique_ptr<KeelTopic> t(new KeelTopic());
  t->topic_ = topic;
  t->shape_ = shape;
  const std::string value = RandomValue(shape.value_bytes);
  for (int32_t p = 0; p < partitions; ++p) {
    auto warm = data_client->Produce(topic, p, {{"", "warm-up"}}, shape.acks);
    if (warm.error != keel::NONE) {
      *error = topic + "-" + std::to_string(p) + " never accepted a record: " + warm.message;
      return nullptr;
    }
    const int leader = data_client->Leader(topic, p);
    if (leader < 0) {
      *error = topic + "-" + std::to_string(p) + " has no leader";
      return nullptr;
    }
    Partition part;
    part.id = p;
    part.stub = broker::BrokerService::NewStub(BenchChannel(brokers->Address(leader)));
    part.first_offset = warm.base_offset + 1;
    part.end_offset = part.first_offset;
    part.request.set_acks(shape.acks);
    part.request.set_timeout_ms(30000);
    auto* td = part.request.add_topics();
    td->set_topic(topic);
    auto* pd = td->add_partitions();
    pd->set_partition(p);
    for (int32_t i = 0; i < shape.records_per_call; ++i) pd->add_records()->set_value(value);
    t->partitions_.push_back(std::move(part));
  }
  return t;
}

Throughput KeelTopic::Produce(const Budget& budget) {
  Throughput t;
  const auto start = Clock::now();
  size_t next = 0;
  while (SecondsSince(start) < budget.seconds &&
         (budget.payload_bytes_max <= 0 || t.payload_bytes < budget.payload_bytes_max)) {
    Partition& part = partitions_[next];
    next = (next + 1) % partitions_.size();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    broker::ProduceResponse response;
    grpc::Status s = part.stub->Produce(&context, part.request, &response);
    if (!s.ok()) {
      t.error = "Produce: " + s.error_message();
      break;
    }
    const auto& result = response.topics(0).partitions(0);
    if (result.error() != keel::NONE) {
      t.error = "Produce: " + keel::ErrorCode_Name(result.error()) + ": " + result.error_message();
      break;
    }
    part.end_offset = result.base_offset() + shape_.records_per_call;
    ++t.calls;
    t.records += shape_.records_per_call;
    t.payload_bytes += payload_per_call();
  }
  t.seconds = SecondsSince(start);
  return t;
}

Throughput KeelTopic::FetchAll(const Budget& budget, broker::FetchResponse* sample) {
  std::vector<int64_t> position;
  for (const Partition& part : partitions_) position.push_back(part.first_offset);
  Throughput t;
  const auto start = Clock::now();
  int sample_batches = 0;
  if (sample != nullptr) sample->Clear();
  bool all_done = false;
  while (!all_done && SecondsSince(start) < budget.seconds) {
    all_done = true;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      Partition& part = partitions_[i];
      if (position[i] >= part.end_offset) continue;
      all_done = false;
      broker::FetchRequest request;
      request.set_max_wait_ms(500);  // acks=leader on RF > 1: the high watermark may trail
      request.set_min_bytes(1);
      request.set_max_bytes(shape_.fetch_partition_max_bytes);
      auto* ft = request.add_topics();
      ft->set_topic(topic_);
      auto* fp = ft->add_partitions();
      fp->set_partition(part.id);
      fp->set_fetch_offset(position[i]);
      fp->set_partition_max_bytes(shape_.fetch_partition_max_bytes);
      fp->set_current_leader_epoch(-1);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
      broker::FetchResponse response;
      grpc::Status s = part.stub->Fetch(&context, request, &response);
      if (!s.ok()) {
        t.error = "Fetch: " + s.error_message();
        t.seconds = SecondsSince(start);
        return t;
      }
      const auto& data = response.topics(0).partitions(0);
      if (data.error() != keel::NONE) {
        t.error = "Fetch: " + keel::ErrorCode_Name(data.error()) + ": " + data.error_message();
        t.seconds = SecondsSince(start);
        return t;
      }
      ++t.calls;
      position[i] = CountFetched(data, position[i], &t.records, &t.payload_bytes);
      if (sample != nullptr && data.batches_size() > sample_batches) {
        sample_batches = data.batches_size();
        *sample = response;  // rare (the first full answers); small next to a fetch
      }
    }
  }
  t.seconds = SecondsSince(start);
  if (t.error.empty() && !all_done) {
    int64_t missing = 0;
    for (size_t i = 0; i < partitions_.size(); ++i) {
      missing += partitions_[i].end_offset - position[i];
    }
    t.error = "partial: " + std::to_string(missing) + " records left when time ran out";
  }
  return t;
}

}  // namespace keel::bench
