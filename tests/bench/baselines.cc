#include "tests/bench/baselines.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/integration/prometheus_text.h"

namespace keel::bench {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool Spent(const Budget& budget, Clock::time_point start, int64_t payload_bytes) {
  if (budget.payload_bytes_max > 0 && payload_bytes >= budget.payload_bytes_max) return true;
  return SecondsSince(start) >= budget.seconds;
}

}  // namespace

int64_t CountFetched(const broker::FetchPartitionData& data, int64_t fallback, int64_t* records,
                     int64_t* payload_bytes) {
  int64_t next = fallback;
  for (const broker::RecordBatch& batch : data.batches()) {
    for (const broker::Record& r : batch.records()) {
      ++*records;
      *payload_bytes += static_cast<int64_t>(r.value().size());
      next = r.offset() + 1;
    }
  }
  return next;
}

std::shared_ptr<grpc::Channel> BenchChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // A channel of its own: gRPC would otherwise share one connection between channels to the
  // same address, and a baseline must not queue behind another phase's leftovers.
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return BenchClientMetrics().CreateChannel(address, grpc::InsecureChannelCredentials(), args);
}

namespace {
observability::MetricsRegistry& BenchRegistry() {
  static const std::shared_ptr<observability::MetricsRegistry> registry =
      observability::MetricsRegistry::Create();
  return *registry;
}
}  // namespace

observability::GrpcClientMetrics& BenchClientMetrics() {
  static observability::GrpcClientMetrics* metrics =
      new observability::GrpcClientMetrics(BenchRegistry());  // outlives every channel
  return *metrics;
}

ClientCalls ClientCallsSoFar(const std::string& method_suffix) {
  const std::string text = BenchRegistry().ScrapeText();
  const std::vector<std::string> labels = {method_suffix + "\""};
  ClientCalls c;
  c.calls = std::max(0.0, testing::Sum(text, "keel_grpc_client_request_duration_seconds_count",
                                       labels));
  c.seconds = std::max(0.0, testing::Sum(text, "keel_grpc_client_request_duration_seconds_sum",
                                         labels));
  return c;
}

// BrokerService with no storage behind it.
class LoopbackBaseline::NoopBroker final : public broker::BrokerService::Service {
 public:
  void SetFetchResponse(const broker::FetchResponse& response) {
    std::lock_guard<std::mutex> lock(mu_);
    fetch_response_ = std::make_shared<const broker::FetchResponse>(response);
  }

  grpc::Status Produce(grpc::ServerContext*, const broker::ProduceRequest* request,
                       broker::ProduceResponse* response) override {
    for (const auto& topic : request->topics()) {
      auto* tr = response->add_topics();
      tr->set_topic(topic.topic());
      for (const auto& data : topic.partitions()) {
        auto* pr = tr->add_partitions();
        pr->set_partition(data.partition());
        pr->set_base_offset(next_offset_.fetch_add(data.records_size()));
        pr->set_log_append_time_ms(-1);
      }
    }
    return grpc::Status::OK;
  }

  grpc::Status Fetch(grpc::ServerContext*, const broker::FetchRequest*,
                     broker::FetchResponse* response) override {
    std::shared_ptr<const broker::FetchResponse> canned;
    {
      std::lock_guard<std::mutex> lock(mu_);
      canned = fetch_response_;
    }
    // A copy, as the broker builds each response anew.
    if (canned != nullptr) *response = *canned;
    return grpc::Status::OK;
  }

 private:
  std::atomic<int64_t> next_offset_{0};
  std::mutex mu_;
  std::shared_ptr<const broker::FetchResponse> fetch_response_;  // guarded by mu_
};

class LoopbackBaseline::Stream final : public BenchStream::Service {
 public:
  grpc::Status Upload(grpc::ServerContext*, grpc::ServerReader<Chunk>* reader,
                      UploadSummary* summary) override {
    Chunk chunk;
    int64_t chunks = 0;
    while (reader->Read(&chunk)) ++chunks;
    summary->set_chunks(chunks);
    return grpc::Status::OK;
  }

  grpc::Status Download(grpc::ServerContext* context, const DownloadRequest* request,
                        grpc::ServerWriter<Chunk>* writer) override {
    Chunk chunk;
    chunk.mutable_data()->assign(static_cast<size_t>(request->chunk_bytes()), 'k');
    while (!context->IsCancelled() && writer->Write(chunk)) {
    }
    return grpc::Status::OK;
  }
};

LoopbackBaseline::LoopbackBaseline()
    : broker_service_(std::make_unique<NoopBroker>()),
      stream_service_(std::make_unique<Stream>()) {}

LoopbackBaseline::~LoopbackBaseline() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
}

std::unique_ptr<LoopbackBaseline> LoopbackBaseline::Start() {
  std::unique_ptr<LoopbackBaseline> b(new LoopbackBaseline());
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  builder.RegisterService(b->broker_service_.get());
  builder.RegisterService(b->stream_service_.get());
  b->server_ = builder.BuildAndStart();
  if (b->server_ == nullptr || port == 0) return nullptr;
  auto channel = BenchChannel("127.0.0.1:" + std::to_string(port));
  b->broker_stub_ = broker::BrokerService::NewStub(channel);
  b->stream_stub_ = BenchStream::NewStub(channel);
  return b;
}

Throughput LoopbackBaseline::Produce(const broker::ProduceRequest& request,
                                     int64_t records_per_call, int64_t payload_per_call,
                                     const Budget& budget) {
  Throughput t;
  const auto start = Clock::now();
  while (!Spent(budget, start, t.payload_bytes)) {
    grpc::ClientContext context;
    broker::ProduceResponse response;
    grpc::Status s = broker_stub_->Produce(&context, request, &response);
    if (!s.ok()) {
      t.error = "baseline Produce: " + s.error_message();
      break;
    }
    ++t.calls;
    t.records += records_per_call;
    t.payload_bytes += payload_per_call;
  }
  t.seconds = SecondsSince(start);
  return t;
}

Throughput LoopbackBaseline::Fetch(const broker::FetchResponse& canned, const Budget& budget) {
  broker_service_->SetFetchResponse(canned);
  broker::FetchRequest request;
  auto* topic = request.add_topics();
  topic->set_topic("baseline");
  topic->add_partitions()->set_partition(0);
  Throughput t;
  const auto start = Clock::now();
  while (!Spent(budget, start, t.payload_bytes)) {
    grpc::ClientContext context;
    broker::FetchResponse response;
    grpc::Status s = broker_stub_->Fetch(&context, request, &response);
    if (!s.ok()) {
      t.error = "baseline Fetch: " + s.error_message();
      break;
    }
    ++t.calls;
    for (const auto& td : response.topics()) {
      for (const auto& pd : td.partitions()) CountFetched(pd, 0, &t.records, &t.payload_bytes);
    }
  }
  t.seconds = SecondsSince(start);
  return t;
}

Throughput LoopbackBaseline::StreamUpload(int64_t chunk_bytes, int64_t records_per_chunk,
                                          int64_t payload_per_chunk, const Budget& budget) {
  Chunk chunk;
  chunk.mutable_data()->assign(static_cast<size_t>(chunk_bytes), 'k');
  Throughput t;
  grpc::ClientContext context;
  UploadSummary summary;
  const auto start = Clock::now();
  auto writer = stream_stub_->Upload(&context, &summary);
  while (!Spent(budget, start, t.payload_bytes)) {
    if (!writer->Write(chunk)) {
      t.error = "baseline stream upload: the stream broke";
      break;
    }
    ++t.calls;
    t.records += records_per_chunk;
    t.payload_bytes += payload_per_chunk;
  }
  writer->WritesDone();
  grpc::Status s = writer->Finish();  // every chunk reached the server
  t.seconds = SecondsSince(start);
  if (!s.ok()) t.error = "baseline stream upload: " + s.error_message();
  if (s.ok() && summary.chunks() != t.calls) t.error = "baseline stream upload: chunks lost";
  return t;
}

Throughput LoopbackBaseline::StreamDownload(int64_t chunk_bytes, int64_t records_per_chunk,
                                            int64_t payload_per_chunk, const Budget& budget) {
  DownloadRequest request;
  request.set_chunk_bytes(chunk_bytes);
  Throughput t;
  grpc::ClientContext context;
  const auto start = Clock::now();
  auto reader = stream_stub_->Download(&context, request);
  Chunk chunk;
  while (!Spent(budget, start, t.payload_bytes)) {
    if (!reader->Read(&chunk)) {
      t.error = "baseline stream download: the stream ended early";
      break;
    }
    ++t.calls;
    t.records += records_per_chunk;
    t.payload_bytes += payload_per_chunk;
  }
  t.seconds = SecondsSince(start);
  context.TryCancel();
  while (reader->Read(&chunk)) {
  }
  reader->Finish();  // CANCELLED, as asked
  return t;
}

DiskRates MeasureDisk(const std::string& dir, int64_t sequential_megabytes,
                      double fsync_seconds) {
  DiskRates rates;
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/disk-baseline";
  std::vector<char> block(1 << 20, 'k');

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    rates.error = "cannot create " + path;
    return rates;
  }
  auto start = Clock::now();
  for (int64_t i = 0; i < sequential_megabytes; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) {
      rates.error = "write failed";
      break;
    }
  }
  if (::fdatasync(fd) != 0) rates.error = "fdatasync failed";
  rates.sequential_megabytes_per_second =
      sequential_megabytes * static_cast<double>(block.size()) / 1e6 / SecondsSince(start);
  ::close(fd);
  std::filesystem::remove(path);

  fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    rates.error = "cannot create " + path;
    return rates;
  }
  int64_t syncs = 0;
  start = Clock::now();
  while (SecondsSince(start) < fsync_seconds) {
    if (::write(fd, block.data(), 4096) != 4096 || ::fdatasync(fd) != 0) {
      rates.error = "4 KiB write + fdatasync failed";
      break;
    }
    ++syncs;
  }
  rates.fdatasyncs_per_second = syncs / SecondsSince(start);
  ::close(fd);
  std::filesystem::remove(path);
  return rates;
}

}  // namespace keel::bench
