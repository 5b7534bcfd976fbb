// The baselines broker_bench measures in the same run as Keel, so each Keel figure can be read
// as a fraction of what the machine allows:
//   - LoopbackBaseline: an in-process gRPC server on 127.0.0.1 with no storage. It serves
//     BrokerService (Produce answers NONE at once, Fetch answers a canned response) so the
//     same messages cross the same transport in the same batch sizes, and BenchStream (raw
//     bytes streamed one way, no per-record fields, no round trip per batch: the ceiling).
//   - MeasureDisk: sequential write with one fdatasync at the end, and 4 KiB write + fdatasync.
//
// Thread safety: a LoopbackBaseline is driven by one thread at a time.
#ifndef KEEL_TESTS_BENCH_BASELINES_H_
#define KEEL_TESTS_BENCH_BASELINES_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "observability/grpc_client_metrics.h"
#include "proto/broker.grpc.pb.h"
#include "tests/bench/bench_stream.grpc.pb.h"

namespace keel::bench {

// Largest gRPC message either side accepts (the broker's server uses the same limit).
constexpr int kMaxMessageBytes = 64 << 20;

// When a timed phase stops: after `seconds`, or once `payload_bytes_max` bytes of record values
// moved (0: no byte limit), whichever comes first.
struct Budget {
  double seconds = 3;
  int64_t payload_bytes_max = 0;
};

// What one timed phase moved. Payload counts record value bytes only (no keys, offsets,
// timestamps or framing), so every row of the table counts the same bytes.
struct Throughput {
  double seconds = 0;
  int64_t calls = 0;
  int64_t records = 0;
  int64_t payload_bytes = 0;
  // Kafka's request-latency-avg for the phase's unary calls, from the client-side gRPC
  // metrics (keel_grpc_client_request_duration_seconds sum / count); -1: not recorded.
  double request_latency_avg_ms = -1;
  std::string error;  // non-empty: the phase failed and its figures are partial

  double MegabytesPerSecond() const { return seconds > 0 ? payload_bytes / 1e6 / seconds : 0; }
  double RecordsPerSecond() const { return seconds > 0 ? records / seconds : 0; }
  double CallsPerSecond() const { return seconds > 0 ? calls / seconds : 0; }
};

// Adds the records and value bytes of `data` to the counters and returns the offset after its
// last record (or `fallback` if it holds none). Keel's fetch loop and the baseline's run the
// same count, so both clients do the same work per record.
int64_t CountFetched(const broker::FetchPartitionData& data, int64_t fallback, int64_t* records,
                     int64_t* payload_bytes);

// A channel to `address` that accepts messages up to kMaxMessageBytes. Its calls are
// recorded by BenchClientMetrics(), labelled with the address.
std::shared_ptr<grpc::Channel> BenchChannel(const std::string& address);

// The benchmark process's client-side gRPC metrics (keel_grpc_client_*, the same library and
// names as the broker's own clients, docs/observability.md), in one process-wide registry.
observability::GrpcClientMetrics& BenchClientMetrics();

// Calls finished so far, and their summed duration, of every method whose full name ends with
// `method_suffix` (e.g. "BrokerService/Produce"), over all targets.
struct ClientCalls {
  double calls = 0;
  double seconds = 0;
};
ClientCalls ClientCallsSoFar(const std::string& method_suffix);

// Runs `phase` and sets its request_latency_avg_ms from the calls of `method_suffix` it made.
template <typename Phase>
Throughput WithRequestLatency(const std::string& method_suffix, Phase phase) {
  const ClientCalls before = ClientCallsSoFar(method_suffix);
  Throughput t = phase();
  const ClientCalls after = ClientCallsSoFar(method_suffix);
  if (after.calls > before.calls) {
    t.request_latency_avg_ms = 1e3 * (after.seconds - before.seconds) / (after.calls - before.calls);
  }
  return t;
}

class LoopbackBaseline {
 public:
  // Starts the server on an ephemeral loopback port; nullptr if it cannot bind.
  static std::unique_ptr<LoopbackBaseline> Start();
  ~LoopbackBaseline();

  // Sends `request` (payload_per_call value bytes in records_per_call records) as unary
  // Produce calls, one after another, as Keel's producer does.
  Throughput Produce(const broker::ProduceRequest& request, int64_t records_per_call,
                     int64_t payload_per_call, const Budget& budget);
  // Unary Fetch calls, each answered with a copy of `response`.
  Throughput Fetch(const broker::FetchResponse& response, const Budget& budget);
  // One client stream of chunks of chunk_bytes, each counted as records_per_chunk records
  // and payload_per_chunk value bytes (the Keel message it stands in for).
  Throughput StreamUpload(int64_t chunk_bytes, int64_t records_per_chunk,
                          int64_t payload_per_chunk, const Budget& budget);
  // The same, server to client.
  Throughput StreamDownload(int64_t chunk_bytes, int64_t records_per_chunk,
                            int64_t payload_per_chunk, const Budget& budget);

 private:
  class NoopBroker;
  class Stream;
  LoopbackBaseline();

  std::unique_ptr<NoopBroker> broker_service_;
  std::unique_ptr<Stream> stream_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<broker::BrokerService::Stub> broker_stub_;
  std::unique_ptr<BenchStream::Stub> stream_stub_;
};

struct DiskRates {
  double sequential_megabytes_per_second = 0;  // 1 MiB writes, one fdatasync at the end
  double fdatasyncs_per_second = 0;            // 4 KiB write + fdatasync, repeated
  std::string error;
};

// Writes files under `dir` (deleted afterwards).
DiskRates MeasureDisk(const std::string& dir, int64_t sequential_megabytes,
                      double fsync_seconds);

}  // namespace keel::bench

#endif  // KEEL_TESTS_BENCH_BASELINES_H_
