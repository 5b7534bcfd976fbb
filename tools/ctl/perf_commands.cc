// keelctl perf produce | consume: kafka-producer-perf-test and kafka-consumer-perf-test over
// the client library. produce sends --num-records records of --record-size random bytes
// through one client::Producer (optionally throttled to --throughput records/s), prints a
// progress line every 5 s and a final line with records/s, MB/s, average and maximum latency
// (Send() to acknowledgement) and its percentiles. consume reads --messages records through
// one client::Consumer from every partition's start.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "client/consumer.h"
#include "client/producer.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/connect.h"

namespace keel::keelctl {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Kafka's perf-test statistics: a window printed every reporting interval, the whole run at
// the end. Latencies are sampled (at most ~500,000 kept) for the percentiles.
class ProduceStats {
 public:
  ProduceStats(int64_t num_records, int64_t interval_ms, bool quiet)
      : start_(Clock::now()),
        window_start_(start_),
        interval_(milliseconds(interval_ms)),
        sampling_(std::max<int64_t>(1, num_records / std::min<int64_t>(num_records, 500000))),
        quiet_(quiet) {
    samples_.reserve(static_cast<size_t>(std::min<int64_t>(num_records, 500000)) + 1);
  }

  void Record(int64_t iteration, double latency_ms, int64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    bytes_ += bytes;
    total_latency_ms_ += latency_ms;
    max_latency_ms_ = std::max(max_latency_ms_, latency_ms);
    ++window_count_;
    window_bytes_ += bytes;
    window_latency_ms_ += latency_ms;
    window_max_ms_ = std::max(window_max_ms_, latency_ms);
    if (iteration % sampling_ == 0) samples_.push_back(latency_ms);
    const auto now = Clock::now();
    if (now - window_start_ >= interval_) {
      if (!quiet_) PrintWindowLocked(now);
      window_start_ = now;
      window_count_ = 0;
      window_bytes_ = 0;
      window_latency_ms_ = 0;
      window_max_ms_ = 0;
    }
  }

  void Fail(const std::string& error) {
    std::lock_guard<std::mutex> lock(mu_);
    ++failed_;
    if (first_error_.empty()) first_error_ = error;
  }

  nlohmann::json Summary() {
    std::lock_guard<std::mutex> lock(mu_);
    const double elapsed = Seconds(Clock::now() - start_);
    std::vector<double> sorted = samples_;
    std::sort(sorted.begin(), sorted.end());
    auto percentile = [&](double p) {
      if (sorted.empty()) return 0.0;
      size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size()));
      return sorted[std::min(i, sorted.size() - 1)];
    };
    return {{"Records", count_},
            {"Failed", failed_},
            {"RecordsPerSec", elapsed > 0 ? count_ / elapsed : 0},
            {"MBPerSec", elapsed > 0 ? bytes_ / 1024.0 / 1024.0 / elapsed : 0},
            {"AvgLatencyMs", count_ > 0 ? total_latency_ms_ / count_ : 0},
            {"MaxLatencyMs", max_latency_ms_},
            {"P50Ms", percentile(0.5)},
            {"P95Ms", percentile(0.95)},
            {"P99Ms", percentile(0.99)},
            {"P999Ms", percentile(0.999)},
            {"Seconds", elapsed},
            {"FirstError", first_error_}};
  }

 private:
  void PrintWindowLocked(Clock::time_point now) {
    const double elapsed = Seconds(now - window_start_);
    std::printf("%ld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms "
                "max latency.\n",
                static_cast<long>(window_count_), window_count_ / elapsed,
                window_bytes_ / 1024.0 / 1024.0 / elapsed,
                window_count_ > 0 ? window_latency_ms_ / window_count_ : 0.0, window_max_ms_);
    std::fflush(stdout);
  }

  std::mutex mu_;
  const Clock::time_point start_;
  Clock::time_point window_start_;
  const milliseconds interval_;
  const int64_t sampling_;
  const bool quiet_;
  int64_t count_ = 0, bytes_ = 0, failed_ = 0;
  double total_latency_ms_ = 0, max_latency_ms_ = 0;
  int64_t window_count_ = 0, window_bytes_ = 0;
  double window_latency_ms_ = 0, window_max_ms_ = 0;
  std::vector<double> samples_;
  std::string first_error_;
};

}  // namespace

int PerfProduce(const GlobalOptions& g, const PerfProduceOptions& o) {
  const std::string what = "perf produce " + o.topic;
  if (o.num_records <= 0 || o.record_size <= 0) {
    std::fprintf(stderr, "keelctl: %s: --num-records and --record-size must be > 0\n",
                 what.c_str());
    return 2;
  }
  auto props = client::ParseProperties(o.producer_props);
  if (!props.ok()) {
    std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
                 std::string(props.status().message()).c_str());
    return 2;
  }
  auto producer = client::Producer::Create(*props, MetadataFor(g));
  if (!producer.ok()) {
    std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
                 std::string(producer.status().message()).c_str());
    return 2;
  }
  // Random printable payload, as kafka-producer-perf-test makes.
  std::mt19937_64 rng(1);
  std::string payload(static_cast<size_t>(o.record_size), 'A');
  for (char& c : payload) c = static_cast<char>('A' + rng() % 26);

  ProduceStats stats(o.num_records, o.reporting_interval_ms, g.json());
  const auto start = Clock::now();
  for (int64_t i = 0; i < o.num_records; ++i) {
    client::ProducerRecord record;
    record.topic = o.topic;
    record.value = payload;
    const auto sent_at = Clock::now();
    absl::Status s = (*producer)->Send(
        std::move(record), [&stats, sent_at, i, size = o.record_size](
                               const absl::StatusOr<client::RecordMetadata>& m) {
          if (!m.ok()) {
            stats.Fail(std::string(m.status().message()));
            return;
          }
          stats.Record(i, std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count(),
                       size);
        });
    if (!s.ok()) {
      stats.Fail(std::string(s.message()));
      if (!absl::IsDeadlineExceeded(s)) break;  // no room in time: keep going, else stop
    }
    if (o.throughput > 0) {
      // Throttle like Kafka's ThroughputThrottler: sleep while ahead of the target rate.
      const double ahead_s = (i + 1) / o.throughput - Seconds(Clock::now() - start);
      if (ahead_s > 0.002) {
        std::this_thread::sleep_for(std::chrono::duration<double>(ahead_s));
      }
    }
  }
  (*producer)->Flush();
  absl::Status closed = (*producer)->Close(milliseconds(g.timeout_ms));
  nlohmann::json summary = stats.Summary();
  if (g.json()) {
    summary["Topic"] = o.topic;
    summary["RecordSize"] = o.record_size;
    std::cout << summary.dump(2) << "\n";
  } else {
    std::printf("%ld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms "
                "max latency, %.0f ms 50th, %.0f ms 95th, %.0f ms 99th, %.0f ms 99.9th.\n",
                static_cast<long>(summary["Records"].get<int64_t>()),
                summary["RecordsPerSec"].get<double>(), summary["MBPerSec"].get<double>(),
                summary["AvgLatencyMs"].get<double>(), summary["MaxLatencyMs"].get<double>(),
                summary["P50Ms"].get<double>(), summary["P95Ms"].get<double>(),
                summary["P99Ms"].get<double>(), summary["P999Ms"].get<double>());
  }
  std::fflush(stdout);
  if (summary["Failed"].get<int64_t>() > 0 || !closed.ok()) {
    std::fprintf(stderr, "keelctl: %s: %ld records failed: %s\n", what.c_str(),
                 static_cast<long>(summary["Failed"].get<int64_t>()),
                 summary["FirstError"].get<std::string>().c_str());
    return 1;
  }
  return 0;
}

int PerfConsume(const GlobalOptions& g, const PerfConsumeOptions& o) {
  const std::string what = "perf consume " + o.topic;
  if (o.messages <= 0) {
    std::fprintf(stderr, "keelctl: %s: --messages must be > 0\n", what.c_str());
    return 2;
  }
  auto props = client::ParseProperties(o.consumer_props);
  if (!props.ok()) {
    std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
                 std::string(props.status().message()).c_str());
    return 2;
  }
  auto metadata = MetadataFor(g);
  auto consumer = client::Consumer::Create(*props, metadata);
  if (!consumer.ok()) {
    std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(),
                 std::string(consumer.status().message()).c_str());
    return 2;
  }
  auto topic = metadata->Topic(o.topic, milliseconds(g.timeout_ms));
  if (!topic.ok()) return ReportError(what, topic.status());
  std::vector<client::TopicPartition> tps;
  for (const auto& p : (*topic)->partitions) tps.push_back({o.topic, p.partition});
  (*consumer)->Assign(tps);
  absl::Status positioned =
      o.from_latest ? (*consumer)->SeekToEnd(tps) : (*consumer)->SeekToBeginning(tps);
  if (!positioned.ok()) return ReportError(what, positioned);

  const auto start = Clock::now();
  auto window_start = start;
  auto last_record = start;
  int64_t count = 0, bytes = 0, window_count = 0, window_bytes = 0;
  while (count < o.messages) {
    auto polled = (*consumer)->Poll(milliseconds(1000));
    if (!polled.ok()) return ReportError(what, polled.status());
    const auto now = Clock::now();
    if (!polled->empty()) last_record = now;
    for (const auto& r : *polled) {
      ++count;
      ++window_count;
      bytes += static_cast<int64_t>(r.value.size() + r.key.size());
      window_bytes += static_cast<int64_t>(r.value.size() + r.key.size());
    }
    if (now - window_start >= milliseconds(o.reporting_interval_ms) && !g.json()) {
      const double s = Seconds(now - window_start);
      std::printf("%ld records consumed, %.1f records/sec (%.2f MB/sec).\n",
                  static_cast<long>(window_count), window_count / s,
                  window_bytes / 1024.0 / 1024.0 / s);
      std::fflush(stdout);
      window_start = now;
      window_count = window_bytes = 0;
    }
    if (now - last_record >= milliseconds(g.timeout_ms)) break;  // no record for --timeout-ms
  }
  const double elapsed = Seconds(Clock::now() - start);
  const double mb = bytes / 1024.0 / 1024.0;
  if (g.json()) {
    std::cout << nlohmann::json{{"Topic", o.topic},
                                {"Records", count},
                                {"MB", mb},
                                {"MBPerSec", elapsed > 0 ? mb / elapsed : 0},
                                {"RecordsPerSec", elapsed > 0 ? count / elapsed : 0},
                                {"Seconds", elapsed}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, seconds\n");
    std::printf("%.4f, %.4f, %ld, %.4f, %.3f\n", mb, elapsed > 0 ? mb / elapsed : 0,
                static_cast<long>(count), elapsed > 0 ? count / elapsed : 0, elapsed);
  }
  if (count < o.messages) {
    std::fprintf(stderr, "keelctl: %s: consumed %ld of %ld messages before --timeout-ms passed "
                         "without a record\n",
                 what.c_str(), static_cast<long>(count), static_cast<long>(o.messages));
    return 1;
  }
  return 0;
}

}  // namespace keel::keelctl
