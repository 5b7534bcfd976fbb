// Plumbing shared by keel_bench's subcommands: finding the binaries under `bazel run`, a
// scratch directory, killing every child on a signal, latency summaries, the disk's raw
// fsync rate, a process's memory, and the etcd peer script.
//
// Thread safety: LatencySummary is not thread-safe (merge per-thread vectors first); the rest
// are free functions without shared state except the child-pid table, which only the main
// thread writes.
#ifndef KEEL_TESTS_BENCH_CLUSTER_HARNESS_H_
#define KEEL_TESTS_BENCH_CLUSTER_HARNESS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace keel::bench {

// Points the integration helpers (which look in TEST_SRCDIR) at this binary's runfiles and
// returns false if keel-controller or keel-broker is missing there.
bool UseRunfiles(const char* argv0);

// Creates <parent>/keel-bench-XXXXXX, makes the helpers put data and logs there, and installs
// SIGINT/SIGTERM handlers that SIGKILL every child pid recorded by RememberChildren and exit.
// Returns "" on failure.
std::string MakeScratch(const std::string& parent);
// Records this process's current children (read from /proc) for the signal handler.
void RememberChildren();
// The pid of a child whose command line contains every string in `needles`, or -1.
pid_t FindChild(const std::vector<std::string>& needles);

// Resident set size and its peak (VmRSS, VmHWM) of `pid` in bytes; 0 if unreadable.
int64_t RssBytes(pid_t pid);
int64_t PeakRssBytes(pid_t pid);

// Latencies in milliseconds.
struct LatencySummary {
  int64_t count = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
};
LatencySummary Summarize(std::vector<double> latencies_ms);
double Median(std::vector<double> values);

double MillisecondsSince(std::chrono::steady_clock::time_point start);

// 4 KiB pwrite + fdatasync to one file in `dir` for `seconds` (the file is deleted).
struct FsyncRate {
  double per_second = 0;
  LatencySummary latency;
  std::string error;
};
FsyncRate MeasureFsync(const std::string& dir, double seconds);

// Runs `bash <script> <args...>` with ETCD_* variables from `env` ("K=V" strings), returns
// its exit code; the combined output is echoed to stdout and stored in `output`.
int RunEtcdScript(const std::string& script, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, std::string* output);
// The default location of ../shared/peers/etcd.sh next to the workspace, or "".
std::string DefaultEtcdScript();

std::string LoadAverage();
std::string Now();  // UTC, e.g. 2026-11-26 09:12

}  // namespace keel::bench

#endif  // KEEL_TESTS_BENCH_CLUSTER_HARNESS_H_
