// log_bench: the segmented log against the raw disk, measured in the same run on the same
// directory, so every ratio compares like with like.
//   bazel run -c opt //storage:log_bench -- --dir=/tmp/keel-log-bench --read_log_gb=2
// Phases, in order:
//   1. raw sequential write of --write_mb MiB in 1 MiB writes, one fdatasync at the end
//   2. raw 4 KiB write + fdatasync, repeated for --seconds
//   3. log append, fsync per batch, one thread
//   4. log append, fsync per batch, --threads threads (group commit; fsyncs counted)
//   5. log append without fsync (FlushPolicy::Never), --write_mb MiB, one Flush at the end
//   6. random-offset reads (one batch each) over a --read_log_gb log: warm (page cache),
//      then cold (the segment files' pages dropped with posix_fadvise(DONTNEED) first)
#include <fcntl.h>
#include <gflags/gflags.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/log.h"

DEFINE_string(dir, "/tmp/keel-log-bench", "Scratch directory (deleted first and after).");
DEFINE_double(seconds, 3, "Duration of each timed phase.");
DEFINE_int64(batch_bytes, 16384, "Value bytes per appended batch (16 records).");
DEFINE_int64(write_mb, 512, "MiB written by the bandwidth phases.");
DEFINE_int32(threads, 8, "Appending threads in the group-commit phase.");
DEFINE_double(read_log_gb, 2, "GiB of log for the random-read phase.");
DEFINE_int32(reads, 5000, "Random reads to time per read phase.");

namespace {

using keel::storage::Env;
using keel::storage::Log;
using keel::storage::LogOptions;
using keel::storage::Record;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "log_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

// Env::Default() with its fsyncs counted, to show how many appends share one.
class CountingEnv : public Env {
 public:
  std::atomic<int64_t> syncs{0};

  class File : public keel::storage::WritableFile {
   public:
    File(std::unique_ptr<WritableFile> base, std::atomic<int64_t>* syncs)
        : base_(std::move(base)), syncs_(syncs) {}
    absl::Status Append(absl::string_view data) override { return base_->Append(data); }
    absl::Status Sync() override {
      ++*syncs_;
      return base_->Sync();
    }
    absl::Status Close() override { return base_->Close(); }

   private:
    std::unique_ptr<WritableFile> base_;
    std::atomic<int64_t>* syncs_;
  };

  absl::StatusOr<std::unique_ptr<keel::storage::WritableFile>> NewAppendableFile(
      const std::string& path) override {
    auto f = base_->NewAppendableFile(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<keel::storage::WritableFile>(new File(std::move(*f), &syncs));
  }
  absl::StatusOr<std::unique_ptr<keel::storage::WritableFile>> NewWritableFile(
      const std::string& path) override {
    auto f = base_->NewWritableFile(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<keel::storage::WritableFile>(new File(std::move(*f), &syncs));
  }
  absl::StatusOr<std::unique_ptr<keel::storage::RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  absl::StatusOr<uint64_t> FileSize(const std::string& p) override { return base_->FileSize(p); }
  absl::Status Truncate(const std::string& p, uint64_t n) override { return base_->Truncate(p, n); }
  absl::Status DeleteDirRecursively(const std::string& dir) override {
    return base_->DeleteDirRecursively(dir);
  }
  absl::Status RenameFile(const std::string& a, const std::string& b) override {
    return base_->RenameFile(a, b);
  }
  absl::Status DeleteFile(const std::string& p) override { return base_->DeleteFile(p); }
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& d) override {
    return base_->GetChildren(d);
  }
  absl::Status CreateDirs(const std::string& d) override { return base_->CreateDirs(d); }
  bool FileExists(const std::string& p) override { return base_->FileExists(p); }
  absl::Status SyncDir(const std::string& d) override { return base_->SyncDir(d); }

 private:
  Env* base_ = Env::Default();
};

std::vector<Record> MakeBatch() {
  const int records = 16;
  std::vector<Record> out(records);
  for (auto& r : out) {
    r.key = "key";
    r.value.assign(static_cast<size_t>(FLAGS_batch_bytes / records), 'x');
    r.timestamp_ms = 1;
  }
  return out;
}

std::unique_ptr<Log> OpenLog(const std::string& dir, const LogOptions& o) {
  auto log = Log::Open(dir, o);
  if (!log.ok()) Die("open " + dir, log.status());
  return std::move(*log);
}

double RawSequentialMBps(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Die("open " + path, absl::InternalError("open failed"));
  std::string chunk(1 << 20, 'x');
  auto start = Clock::now();
  for (int64_t i = 0; i < FLAGS_write_mb; ++i) {
    if (::write(fd, chunk.data(), chunk.size()) != static_cast<ssize_t>(chunk.size())) {
      Die("raw write", absl::InternalError("short write"));
    }
  }
  ::fdatasync(fd);
  double s = Seconds(start);
  ::close(fd);
  ::unlink(path.c_str());
  return static_cast<double>(FLAGS_write_mb) * (1 << 20) / 1e6 / s;
}

double RawFsyncPerSecond(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Die("open " + path, absl::InternalError("open failed"));
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

struct AppendResult {
  double batches_per_s;
  double mb_per_s;
  double fsyncs_per_s;
};

// `threads` appenders with fsync per batch, for --seconds.
AppendResult SyncedAppends(const std::string& dir, int threads) {
  CountingEnv env;
  LogOptions o;
  o.env = &env;
  o.flush = keel::storage::FlushPolicy::EveryBatch();
  auto log = OpenLog(dir, o);
  const auto batch = MakeBatch();
  std::atomic<int64_t> batches{0}, bytes{0};
  const int64_t syncs_before = env.syncs;
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (Seconds(start) < FLAGS_seconds) {
        auto info = log->Append(1, batch);
        if (!info.ok()) Die("append", info.status());
        ++batches;
        bytes += info->size_bytes;
      }
    });
  }
  for (auto& w : workers) w.join();
  const double s = Seconds(start);
  const double syncs = static_cast<double>(env.syncs - syncs_before);
  log.reset();
  std::filesystem::remove_all(dir);
  return {static_cast<double>(batches) / s, static_cast<double>(bytes) / s / 1e6, syncs / s};
}

AppendResult UnsyncedAppends(const std::string& dir) {
  LogOptions o;
  o.flush = keel::storage::FlushPolicy::Never();
  auto log = OpenLog(dir, o);
  const auto batch = MakeBatch();
  int64_t n = 0, bytes = 0;
  auto start = Clock::now();
  while (bytes < FLAGS_write_mb * (1 << 20)) {
    auto info = log->Append(1, batch);
    if (!info.ok()) Die("append", info.status());
    bytes += info->size_bytes;
    ++n;
  }
  if (auto s = log->Flush(); !s.ok()) Die("flush", s);
  const double s = Seconds(start);
  log.reset();
  std::filesystem::remove_all(dir);
  return {static_cast<double>(n) / s, static_cast<double>(bytes) / s / 1e6, 1 / s};
}

void DropPageCache(const std::string& dir) {
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    int fd = ::open(entry.path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

struct Latency {
  double p50_us, p99_us, max_us;
};

Latency RandomReads(const Log& log, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t start_offset = log.log_start_offset(), end = log.log_end_offset();
  std::vector<double> micros;
  for (int i = 0; i < FLAGS_reads; ++i) {
    const int64_t offset =
        start_offset + static_cast<int64_t>(rng() % static_cast<uint64_t>(end - start_offset));
    auto start = Clock::now();
    auto read = log.Read(offset, 1);
    micros.push_back(Seconds(start) * 1e6);
    if (!read.ok() || read->empty() || read->front().base_offset > offset) {
      Die("read " + std::to_string(offset), read.status());
    }
  }
  std::sort(micros.begin(), micros.end());
  return {micros[micros.size() / 2], micros[micros.size() * 99 / 100], micros.back()};
}

}  // namespace

int main(int argc, char** argv) {
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  std::filesystem::remove_all(FLAGS_dir);
  std::filesystem::create_directories(FLAGS_dir);
  const std::string raw = FLAGS_dir + "/raw";
  std::printf("log_bench: dir %s, batches of 16 records x %ld B, %.1f s per timed phase\n",
              FLAGS_dir.c_str(), static_cast<long>(FLAGS_batch_bytes / 16), FLAGS_seconds);

  const double raw_mbps = RawSequentialMBps(raw);
  const double raw_fsyncs = RawFsyncPerSecond(raw);
  std::printf("raw sequential write, 1 fdatasync:   %9.1f MB/s\n", raw_mbps);
  std::printf("raw 4 KiB write + fdatasync:         %9.1f ops/s\n", raw_fsyncs);

  AppendResult one = SyncedAppends(FLAGS_dir + "/synced1", 1);
  std::printf(
      "log append, fsync per batch, 1 thr:  %9.1f batches/s %7.1f MB/s "
      "(%.2fx the raw fsync rate)\n",
      one.batches_per_s, one.mb_per_s, one.batches_per_s / raw_fsyncs);
  AppendResult group = SyncedAppends(FLAGS_dir + "/syncedN", FLAGS_threads);
  std::printf(
      "log append, fsync per batch, %d thr:  %9.1f batches/s %7.1f MB/s "
      "%.0f fsyncs/s (%.1f batches per fsync)\n",
      FLAGS_threads, group.batches_per_s, group.mb_per_s, group.fsyncs_per_s,
      group.batches_per_s / group.fsyncs_per_s);
  AppendResult bulk = UnsyncedAppends(FLAGS_dir + "/unsynced");
  std::printf(
      "log append, no fsync, 1 at the end:  %9.1f batches/s %7.1f MB/s "
      "(%.2fx raw sequential)\n",
      bulk.batches_per_s, bulk.mb_per_s, bulk.mb_per_s / raw_mbps);

  const std::string read_dir = FLAGS_dir + "/read";
  LogOptions o;
  o.flush = keel::storage::FlushPolicy::Never();
  auto log = OpenLog(read_dir, o);
  const auto batch = MakeBatch();
  const int64_t target = static_cast<int64_t>(FLAGS_read_log_gb * (1LL << 30));
  while (log->size_bytes() < target) {
    auto info = log->Append(1, batch);
    if (!info.ok()) Die("append", info.status());
  }
  if (auto s = log->Flush(); !s.ok()) Die("flush", s);
  const Latency warm = RandomReads(*log, 42);
  DropPageCache(read_dir);
  const Latency cold = RandomReads(*log, 43);
  std::printf("random-offset read, %.2f GiB log, %zu segments, %ld batches, one batch each:\n",
              static_cast<double>(log->size_bytes()) / (1 << 30), log->segment_count(),
              static_cast<long>(log->log_end_offset() / 16));
  std::printf("  warm (page cache):  p50 %7.1f us  p99 %7.1f us  max %8.1f us\n", warm.p50_us,
              warm.p99_us, warm.max_us);
  std::printf("  cold (fadvise DONTNEED first): p50 %7.1f us  p99 %7.1f us  max %8.1f us\n",
              cold.p50_us, cold.p99_us, cold.max_us);
  log.reset();
  std::filesystem::remove_all(FLAGS_dir);
  return 0;
}
