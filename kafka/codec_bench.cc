// Throughput of the codec's hot paths: a Produce request with one 1 MiB partition, a Fetch
// response carrying 1 MiB, and record batches (split + CRC, and full decode per codec).
//   bazel run //kafka:codec_bench   (.bazelrc already builds with -O2)
#include <benchmark/benchmark.h>

#include <string>

#include "kafka/messages.h"
#include "kafka/record_batch.h"

namespace keel::kafka {
namespace {

constexpr size_t kRecordBytes = 1024;
constexpr int kRecordsPerBatch = 1024;  // 1 MiB of values per batch

std::string Batch(Compression codec) {
  RecordBatch batch;
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    Record r;
    r.offset_delta = i;
    r.key = "key-" + std::to_string(i);
    std::string value;
    while (value.size() < kRecordBytes) value += "value " + std::to_string(i * 7919) + " ";
    value.resize(kRecordBytes);
    r.value = value;
    batch.records.push_back(std::move(r));
  }
  batch.header.last_offset_delta = kRecordsPerBatch - 1;
  return *EncodeBatch(batch, codec);
}

void BM_DecodeProduceRequest(benchmark::State& state) {
  ProduceRequest request;
  request.acks = -1;
  request.timeout_ms = 30000;
  request.topics.push_back({"bench", {{0, Batch(Compression::kNone)}}});
  const std::string body = *Encode(request, 7);
  for (auto _ : state) {
    absl::StatusOr<ProduceRequest> decoded = Decode<ProduceRequest>(body, 7);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_DecodeProduceRequest);

void BM_EncodeFetchResponseFrame(benchmark::State& state) {
  FetchResponse response;
  FetchResponse::Partition p;
  p.records = Batch(Compression::kNone);
  response.responses.push_back({"bench", Uuid{}, {p}});
  for (auto _ : state) {
    absl::StatusOr<std::string> frame = EncodeResponseFrame(response, 11, 1);
    benchmark::DoNotOptimize(frame);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * p.records->size()));
}
BENCHMARK(BM_EncodeFetchResponseFrame);

void BM_SplitBatchesWithCrc(benchmark::State& state) {
  const std::string batch = Batch(Compression::kNone);
  for (auto _ : state) {
    absl::StatusOr<std::vector<BatchView>> views = SplitBatches(batch);
    benchmark::DoNotOptimize(views);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch.size()));
}
BENCHMARK(BM_SplitBatchesWithCrc);

// Bytes processed = uncompressed record bytes, so the codecs compare directly.
void BM_DecodeBatch(benchmark::State& state) {
  const Compression codec = static_cast<Compression>(state.range(0));
  const std::string batch = Batch(codec);
  state.SetLabel(std::string(CompressionName(codec)) + ", " + std::to_string(batch.size()) +
                 " bytes on the wire");
  for (auto _ : state) {
    absl::StatusOr<std::vector<RecordBatch>> decoded = DecodeBatches(batch);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * kRecordsPerBatch * kRecordBytes));
}
BENCHMARK(BM_DecodeBatch)->DenseRange(0, 4);

void BM_EncodeBatch(benchmark::State& state) {
  const Compression codec = static_cast<Compression>(state.range(0));
  RecordBatch batch;
  std::string value(kRecordBytes, 'v');
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    batch.records.push_back(Record{0, 0, i, "k", value + std::to_string(i), {}});
  }
  batch.header.last_offset_delta = kRecordsPerBatch - 1;
  state.SetLabel(CompressionName(codec));
  for (auto _ : state) {
    absl::StatusOr<std::string> bytes = EncodeBatch(batch, codec);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * kRecordsPerBatch * kRecordBytes));
}
BENCHMARK(BM_EncodeBatch)->DenseRange(0, 4);

}  // namespace
}  // namespace keel::kafka
