// log_bench: the segmented log against the raw disk, measured in the same run on the same
// directory.
//   bazel run -c opt //storage:log_bench -- --dir=/tmp/keel-log-bench --read_log_gb=2
// Prints: raw sequential write bandwidth (fdatasync at the end), raw 4 KiB write+fdatasync
// rate, log append with fsync per batch and without, and random-offset read latency.
#include <fcntl.h>
#include <gflags/gflags.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "storage/log.h"

DEFINE_string(dir, "/tmp/keel-log-bench", "Scratch directory (deleted first and after).");
DEFINE_double(seconds, 3, "Duration of each timed phase.");
DEFINE_int64(batch_bytes, 16384, "Bytes per appended batch (16 records).");
DEFINE_int64(write_mb, 512, "MB written by the bandwidth phases.");
DEFINE_double(read_log_gb, 2, "Size of the log for the random-read phase.");
DEFINE_int32(reads, 5000, "Random reads to time.");

namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<keel::storage::Record> MakeBatch() {
  const int records = 16;
  std::vector<keel::storage::Record> out(records);
  for (auto& r : out) {
    r.key = "key";
    r.value.assign(static_cast<size_t>(FLAGS_batch_bytes / records), 'x');
    r.timestamp_ms = 1;
  }
  return out;
}

double RawSequentialMBps(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string chunk(1 << 20, 'x');
  auto start = Clock::now();
  for (int64_t i = 0; i < FLAGS_write_mb; ++i) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) break;
  }
  ::fdatasync(fd);
  double s = Seconds(start);
  ::close(fd);
  ::unlink(path.c_str());
  return static_cast<double>(FLAGS_write_mb) / s;
}

double RawFsyncPerSecond(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string block(4096, 'x');
  int64_t n = 0;
  auto start = Clock::now();
  while (Seconds(start) < FLAGS_seconds) {
    if (::write(fd, block.data(), block.size()) < 0) break;
    ::fdatasync(fd);
    ++n;
  }
  double s = Seconds(start);
  ::close(fd);
  ::unlink(path.c_str());
  return static_cast<double>(n) / s;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::filesystem::remove_all(FLAGS_dir);
  std::filesystem::create_directories(FLAGS_dir);
  const std::string raw = FLAGS_dir + "/raw";

  double raw_mbps = RawSequentialMBps(raw);
  double raw_fsyncs = RawFsyncPerSecond(raw);
  std::printf("raw sequential write + fdatasync:   %8.1f MB/s\n", raw_mbps);
  std::printf("raw 4 KiB write + fdatasync:         %8.1f ops/s\n", raw_fsyncs);

  auto batch = MakeBatch();
  {
    keel::storage::LogOptions o;
    o.flush.every_batch = true;
    auto log = keel::storage::Log::Open(FLAGS_dir + "/synced", o);
    int64_t n = 0, bytes = 0;
    auto start = Clock::now();
    while (Seconds(start) < FLAGS_seconds) {
      auto info = log.value()->Append(1, batch);
      bytes += info->size_bytes;
      ++n;
    }
    double s = Seconds(start);
    std::printf(
        "log append, fsync per batch:         %8.1f batches/s  %7.1f MB/s  "
        "(%.2fx the raw fsync rate)\n",
        n / s, bytes / s / 1e6, n / s / raw_fsyncs);
  }
  {
    keel::storage::LogOptions o;
    o.flush.every_batch = false;
    auto log = keel::storage::Log::Open(FLAGS_dir + "/unsynced", o);
    int64_t n = 0, bytes = 0;
    auto start = Clock::now();
    while (bytes < FLAGS_write_mb * (1 << 20)) {
      auto info = log.value()->Append(1, batch);
      bytes += info->size_bytes;
      ++n;
    }
    (void)log.value()->Flush();
    double s = Seconds(start);
    std::printf(
        "log append, one fsync at the end:    %8.1f batches/s  %7.1f MB/s  "
        "(%.2fx raw sequential)\n",
        n / s, bytes / s / 1e6, bytes / s / 1e6 / raw_mbps);
  }
  std::filesystem::remove_all(FLAGS_dir + "/synced");
  std::filesystem::remove_all(FLAGS_dir + "/unsynced");
  {
    keel::storage::LogOptions o;
    o.flush.every_batch = false;
    auto log = keel::storage::Log::Open(FLAGS_dir + "/read", o);
    const int64_t target = static_cast<int64_t>(FLAGS_read_log_gb * (1LL << 30));
    int64_t bytes = 0;
    while (bytes < target) bytes += log.value()->Append(1, batch)->size_bytes;
    (void)log.value()->Flush();
    const int64_t end = log.value()->log_end_offset();
    std::mt19937_64 rng(42);
    std::vector<double> micros;
    for (int i = 0; i < FLAGS_reads; ++i) {
      int64_t offset = static_cast<int64_t>(rng() % static_cast<uint64_t>(end));
      auto start = Clock::now();
      auto read = log.value()->Read(offset, 1);
      micros.push_back(Seconds(start) * 1e6);
      if (!read.ok() || read->empty()) {
        std::printf("read failed at %ld\n", static_cast<long>(offset));
        return 1;
      }
    }
    std::sort(micros.begin(), micros.end());
    std::printf(
        "random-offset read (%.1f GB log, %zu segments, one batch each): "
        "p50 %.1f us  p99 %.1f us\n",
        bytes / 1e9, log.value()->segment_count(), micros[micros.size() / 2],
        micros[micros.size() * 99 / 100]);
  }
  std::filesystem::remove_all(FLAGS_dir);
  return 0;
}
