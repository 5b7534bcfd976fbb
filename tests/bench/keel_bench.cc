// keel-bench: the controller quorum's figures (issue #10), each beside a baseline measured in
// the same run.
//
//   bazel run -c opt //tests/bench:keel_bench -- <subcommand> [flags]
//
//   metadata       committed metadata writes/s and latency p50/p99 with --clients concurrent
//                  clients (default 1,16,256) on a 3-controller quorum (fsync on, default
//                  timeouts). The write is CreateTopics of a fresh 1-partition topic with
//                  replication factor 1, placed on a fake broker that registers and heartbeats.
//                  Baselines: the disk's 4 KiB write+fdatasync rate before and after, and etcd's
//                  `etcdctl check perf` through ../shared/peers/etcd.sh (--etcd).
//   failover       --trials SIGKILLs (and SIGTERMs: leadership transfer) of the leader; time from
//                  the signal until a write commits on a surviving controller, probing every
//                  ~1 ms; at default timeouts and at --short_election_timeout_ms. Baseline:
//                  `etcd.sh failover` at etcd's defaults (--etcd).
//   scale          --topics x --partitions_per_topic: creation time, controller memory, snapshot
//                  size and the write stall while it is taken, leader failover time at that
//                  size, controller restart until caught up, broker restart until unfenced.
//   fsync          the raw 4 KiB write + fdatasync rate of the scratch directory's disk.
//   fetch-latency  produce --fetch_gib GiB into one partition, then random-offset Fetch latency
//                  (warm page cache and cold), beside a ListOffsets round trip to the same broker.
//
// Every process is started on 127.0.0.1 with ephemeral ports and data under --dir/keel-bench-*
// (deleted at the end); children are killed by pid at exit, also on SIGINT/SIGTERM.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>
#include <grpcpp/grpcpp.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "proto/broker.grpc.pb.h"
#include "proto/controller.grpc.pb.h"
#include "client/admin_client.h"
#include "tests/bench/baselines.h"
#include "tests/bench/cluster_harness.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/process.h"

DEFINE_string(dir, "/tmp", "Parent of the scratch directory (its disk is the one measured).");
DEFINE_string(etcd_script, "", "Path of etcd.sh; empty: ../shared/peers/etcd.sh beside the "
                               "workspace.");
DEFINE_bool(etcd, true, "Measure etcd in the same run (metadata, failover).");
DEFINE_bool(keep, false, "Keep the scratch directory (data and logs) for inspection.");
DEFINE_double(fsync_seconds, 5, "Length of each raw fsync measurement.");
// metadata
DEFINE_string(clients, "1,16,256", "metadata: concurrent client counts, separated by commas.");
DEFINE_double(seconds, 10, "metadata: length of each timed phase.");
// failover
DEFINE_int32(trials, 20, "failover: leader stops per mode and timeout setting.");
DEFINE_string(modes, "kill,term", "failover: kill (SIGKILL) and/or term (SIGTERM: transfer).");
DEFINE_string(timeouts, "default,short", "failover: default and/or short timeouts.");
DEFINE_int64(short_election_timeout_ms, 150,
             "failover: the short setting's election timeout (randomized in [t, 2t)).");
DEFINE_int64(short_heartbeat_interval_ms, 50, "failover: the short setting's heartbeat.");
DEFINE_bool(etcd_short, true,
            "failover: also run etcd with the short setting's election timeout and heartbeat.");
// scale
DEFINE_int32(topics, 1000, "scale: topics to create.");
DEFINE_int32(partitions_per_topic, 100, "scale: partitions per topic.");
DEFINE_int32(batch_topics, 10, "scale: topics per CreateTopics request.");
DEFINE_int32(creators, 2, "scale: concurrent creating clients.");
DEFINE_int32(real_brokers, 1, "scale: keel-broker processes (they host their share).");
DEFINE_int32(fake_brokers, 2, "scale: fake brokers that only register and heartbeat.");
DEFINE_int32(scale_failovers, 3, "scale: SIGKILLs of the leader at full size.");
DEFINE_int32(broker_restarts, 2, "scale: SIGKILL + restart of a real broker at full size.");
// fetch-latency
DEFINE_double(fetch_gib, 2, "fetch-latency: GiB of record values to produce.");
DEFINE_int32(fetch_records_per_batch, 16, "fetch-latency: records per produced batch.");
DEFINE_int32(fetch_value_bytes, 1024, "fetch-latency: bytes per record value.");
DEFINE_int32(fetch_reads, 3000, "fetch-latency: random reads per phase.");

namespace {

using keel::bench::LatencySummary;
using keel::bench::MillisecondsSince;
using keel::testing::BrokerSet;
using keel::testing::BrokerSetOptions;
using keel::testing::ControllerClient;
using keel::testing::ControllerCluster;
using keel::testing::ControllerClusterOptions;
using keel::testing::FakeBroker;
using Clock = std::chrono::steady_clock;
namespace controller = keel::controller;
namespace client = keel::client;

std::string g_scratch;

int Fail(const std::string& message) {
  std::fprintf(stderr, "keel_bench: %s\n", message.c_str());
  return 1;
}

std::vector<int> ParseInts(const std::string& list) {
  std::vector<int> out;
  for (absl::string_view s : absl::StrSplit(list, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(s, &v)) out.push_back(v);
  }
  return out;
}

std::string Ms(double ms) { return ms < 10 ? absl::StrFormat("%.2f", ms) : absl::StrFormat("%.0f", ms); }
std::string Mb(int64_t bytes) { return absl::StrFormat("%.1f MB", bytes / 1e6); }

std::chrono::system_clock::time_point DeadlineIn(int64_t ms) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(ms);
}

// One CreateTopics of `names` within `context`; ok only if the call and every topic succeeded.
grpc::Status CreateTopics(controller::AdminService::Stub* stub, const std::vector<std::string>& names,
                          int partitions, grpc::ClientContext* context) {
  controller::CreateTopicsRequest request;
  for (const std::string& name : names) {
    auto* t = request.add_topics();
    t->set_name(name);
    t->set_num_partitions(partitions);
    t->set_replication_factor(1);
  }
  controller::CreateTopicsResponse response;
  grpc::Status status = stub->CreateTopics(context, request, &response);
  if (!status.ok()) return status;
  for (const auto& r : response.results()) {
    if (r.error() != keel::NONE) {
      return grpc::Status(grpc::StatusCode::UNKNOWN,
                          absl::StrCat(keel::ErrorCode_Name(r.error()), ": ", r.error_message()));
    }
  }
  return status;
}

// The same with its own deadline (one controller, no redirect).
grpc::Status CreateTopics(controller::AdminService::Stub* stub, const std::vector<std::string>& names,
                          int partitions, int64_t deadline_ms) {
  grpc::ClientContext context;
  context.set_deadline(DeadlineIn(deadline_ms));
  return CreateTopics(stub, names, partitions, &context);
}

// A 3-voter quorum with fake brokers registered, heartbeating and unfenced.
struct Quorum {
  std::unique_ptr<ControllerCluster> cluster;
  std::vector<std::unique_ptr<ControllerClient>> clients;  // one per fake broker
  std::vector<std::unique_ptr<FakeBroker>> fake_brokers;
  int leader = -1;

  std::vector<std::string> Addresses() const {
    return absl::StrSplit(cluster->AllAddresses(), ',');
  }
};

bool StartQuorum(ControllerClusterOptions options, int fake_brokers, int first_fake_id,
                 Quorum* q, std::string* error) {
  q->cluster = std::make_unique<ControllerCluster>(std::move(options));
  if (!q->cluster->StartAll()) {
    *error = "cannot start keel-controller";
    return false;
  }
  keel::bench::RememberChildren();
  q->leader = q->cluster->WaitForLeader(std::chrono::seconds(30));
  if (q->leader < 0) {
    *error = "no controller leader after 30 s";
    return false;
  }
  for (int i = 0; i < fake_brokers; ++i) {
    q->clients.push_back(std::make_unique<ControllerClient>(q->Addresses()));
    auto fb = std::make_unique<FakeBroker>(q->clients.back().get(), first_fake_id + i,
                                           q->cluster->cluster_id());
    if (!fb->Register(std::chrono::seconds(20)).ok()) {
      *error = "fake broker registration failed";
      return false;
    }
    fb->StartHeartbeats();
    q->fake_brokers.push_back(std::move(fb));
  }
  auto deadline = Clock::now() + std::chrono::seconds(20);
  for (auto& fb : q->fake_brokers) {
    while (fb->fenced() && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (fb->fenced()) {
      *error = "fake broker still fenced after 20 s";
      return false;
    }
  }
  return true;
}

void StopQuorum(Quorum* q) {
  for (auto& fb : q->fake_brokers) fb->StopHeartbeats();
  q->fake_brokers.clear();
  q->clients.clear();
  q->cluster.reset();  // kills every controller by pid
}

// ------------------------------------------------------------------------ fsync

keel::bench::FsyncRate MeasureFsyncPrinted(const std::string& label) {
  keel::bench::FsyncRate r = keel::bench::MeasureFsync(g_scratch, FLAGS_fsync_seconds);
  std::printf("raw fsync (%s): %.0f /s (4 KiB pwrite+fdatasync, p50 %s ms, p99 %s ms)%s\n",
              label.c_str(), r.per_second, Ms(r.latency.p50_ms).c_str(),
              Ms(r.latency.p99_ms).c_str(), r.error.empty() ? "" : (" ERROR " + r.error).c_str());
  return r;
}

int RunFsync() {
  MeasureFsyncPrinted("fsync");
  return 0;
}

// ------------------------------------------------------------------------ etcd

std::string EtcdScript() {
  return FLAGS_etcd_script.empty() ? keel::bench::DefaultEtcdScript() : FLAGS_etcd_script;
}

std::vector<std::string> EtcdEnv(const std::string& suffix, int64_t election_ms,
                                 int64_t heartbeat_ms) {
  std::vector<std::string> env = {"ETCD_DIR=" + g_scratch + "/etcd" + suffix,
                                  "ETCD_PORT_BASE=23790"};
  if (election_ms > 0) env.push_back(absl::StrCat("ETCD_ELECTION_MS=", election_ms));
  if (heartbeat_ms > 0) env.push_back(absl::StrCat("ETCD_HEARTBEAT_MS=", heartbeat_ms));
  return env;
}

// The first number after the last `key` in `text`, e.g. 150 in "Throughput is 150 writes/s",
// or 1300 in "median_ms 1300"; -1 if there is none.
double ParseNumberAfter(const std::string& text, const std::string& key) {
  size_t at = text.rfind(key);
  if (at == std::string::npos) return -1;
  size_t i = at + key.size();
  while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  size_t j = i;
  while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
  double v = -1;
  if (!absl::SimpleAtod(text.substr(i, j - i), &v)) return -1;
  return v;
}

// Runs `etcd.sh up`, then `args`, then `down`; returns the middle command's output.
std::string RunEtcd(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  const std::string script = EtcdScript();
  if (script.empty()) {
    std::printf("etcd: etcd.sh not found (set --etcd_script)\n");
    return "";
  }
  std::string out;
  if (keel::bench::RunEtcdScript(script, {"up"}, env, nullptr) == 0) {
    keel::bench::RunEtcdScript(script, args, env, &out);
  }
  keel::bench::RunEtcdScript(script, {"down"}, env, nullptr);
  return out;
}

// ------------------------------------------------------------------------ metadata

struct LoadResult {
  int clients = 0;
  double seconds = 0;
  int64_t committed = 0;
  int64_t errors = 0;
  int64_t leader_changes = 0;
  std::string first_error;
  LatencySummary latency;
  double PerSecond() const { return seconds > 0 ? committed / seconds : 0; }
};

// `clients` threads, each with its own connection to `address`, each creating fresh topics
// one call at a time for `seconds`.
LoadResult RunCreateLoad(const std::string& address, int clients, double seconds,
                         const std::string& prefix) {
  LoadResult result;
  result.clients = clients;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<int64_t> errors(clients, 0);
  std::vector<std::string> first_errors(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      // One client::AdminClient per client thread: it follows the leader as any program's
      // client does (a redirect is part of the operation's latency), and does not retry a
      // write that may have been applied (that counts as an error).
      client::AdminClientOptions options;
      options.controllers = {address};
      options.channel_factory = [](const std::string& a) { return keel::bench::BenchChannel(a); };
      options.request_timeout_ms = 30000;
      options.default_timeout_ms = 30000;
      options.retry_backoff_ms = 10;
      client::AdminClient admin(options);
      auto create = [&](const std::string& name) {
        return admin.Run(
            client::AdminClient::Target::kLeader, client::AdminClient::Retry::kNotIdempotent,
            [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
              auto stub = controller::AdminService::NewStub(channel);
              return CreateTopics(stub.get(), {name}, 1, context);
            });
      };
      int64_t i = 0;
      // Warm-up call: connects before the clock starts.
      (void)create(absl::StrCat(prefix, "-w-", c));
      ++ready;
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      while (!stop.load()) {
        auto t = Clock::now();
        grpc::Status s = create(absl::StrCat(prefix, "-", c, "-", i++));
        if (stop.load()) break;  // finished after the window closed: not counted
        if (s.ok()) {
          latencies[c].push_back(MillisecondsSince(t));
        } else {
          if (errors[c]++ == 0) first_errors[c] = s.error_message();
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    });
  }
  while (ready.load() < clients) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto start = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  result.seconds = MillisecondsSince(start) / 1000;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    result.errors += errors[c];
    if (result.first_error.empty()) result.first_error = first_errors[c];
  }
  result.committed = static_cast<int64_t>(all.size());
  result.latency = keel::bench::Summarize(std::move(all));
  return result;
}

int RunMetadata() {
  std::vector<int> client_counts = ParseInts(FLAGS_clients);
  if (client_counts.empty()) return Fail("bad --clients");
  std::printf("== metadata: %s, load %s\n", keel::bench::Now().c_str(),
              keel::bench::LoadAverage().c_str());
  keel::bench::FsyncRate fsync_before = MeasureFsyncPrinted("before");

  Quorum q;
  std::string error;
  ControllerClusterOptions options;
  options.election_timeout_ms = 1000;  // the controller's defaults
  options.heartbeat_interval_ms = 100;
  if (!StartQuorum(options, 1, 1, &q, &error)) return Fail(error);
  std::vector<LoadResult> results;
  auto epoch = [&]() -> int64_t {
    controller::DescribeQuorumResponse response;
    int leader = q.cluster->WaitForLeader(std::chrono::seconds(30));
    if (leader < 0 || !q.cluster->DescribeQuorum(leader, &response).ok()) return -1;
    return response.leader_epoch();
  };
  for (int clients : client_counts) {
    const int64_t epoch_before = epoch();
    const int leader = q.cluster->WaitForLeader(std::chrono::seconds(30));
    const keel::bench::ClientCalls calls_before =
        keel::bench::ClientCallsSoFar("AdminService/CreateTopics");
    LoadResult r = RunCreateLoad(q.cluster->Address(leader), clients, FLAGS_seconds,
                                 absl::StrCat("m", clients));
    const keel::bench::ClientCalls calls_after =
        keel::bench::ClientCallsSoFar("AdminService/CreateTopics");
    // Kafka's request-latency-avg from the client metrics: every call of the phase, warm-up
    // calls and calls that finished after the window included.
    const double latency_avg_ms =
        calls_after.calls > calls_before.calls
            ? 1e3 * (calls_after.seconds - calls_before.seconds) /
                  (calls_after.calls - calls_before.calls)
            : -1;
    r.leader_changes = epoch() - epoch_before;
    std::printf("keel %d clients: %.0f commits/s, p50 %s ms, p99 %s ms, max %s ms, "
                "request-latency-avg (client metrics) %s ms, %lld errors%s, "
                "%lld leader epoch changes\n",
                clients, r.PerSecond(), Ms(r.latency.p50_ms).c_str(),
                Ms(r.latency.p99_ms).c_str(), Ms(r.latency.max_ms).c_str(),
                Ms(latency_avg_ms).c_str(),
                static_cast<long long>(r.errors),
                r.first_error.empty() ? "" : (" (" + r.first_error + ")").c_str(),
                static_cast<long long>(r.leader_changes));
    std::fflush(stdout);
    results.push_back(r);
  }
  pid_t leader_pid = keel::bench::FindChild({"keel-controller", absl::StrCat("--node_id=", q.leader, " ")});
  const int64_t leader_rss = keel::bench::RssBytes(leader_pid);
  StopQuorum(&q);

  double etcd_puts = -1;
  if (FLAGS_etcd) {
    std::string out = RunEtcd({"perf"}, EtcdEnv("-perf", 0, 0));
    // "PASS: Throughput is 150 writes/s" or "FAIL: Throughput too low: 3224 writes/s".
    etcd_puts = ParseNumberAfter(out, "Throughput");
  }
  keel::bench::FsyncRate fsync_after = MeasureFsyncPrinted("after");
  const double fsync_rate = (fsync_before.per_second + fsync_after.per_second) / 2;

  std::printf("\n| Clients | Keel commits/s | p50 | p99 | errors, leader changes | vs raw fsync/s (%.0f) | vs etcd puts/s (%s) |\n",
              fsync_rate, etcd_puts > 0 ? absl::StrFormat("%.0f", etcd_puts).c_str() : "-");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const LoadResult& r : results) {
    std::printf("| %d | %.0f | %s ms | %s ms | %lld, %lld | %.2fx | %s |\n", r.clients, r.PerSecond(),
                Ms(r.latency.p50_ms).c_str(), Ms(r.latency.p99_ms).c_str(),
                static_cast<long long>(r.errors), static_cast<long long>(r.leader_changes),
                fsync_rate > 0 ? r.PerSecond() / fsync_rate : 0,
                etcd_puts > 0 ? absl::StrFormat("%.2fx", r.PerSecond() / etcd_puts).c_str() : "-");
  }
  std::printf("leader RSS after the run: %s\n", Mb(leader_rss).c_str());
  return 0;
}

// ------------------------------------------------------------------------ failover

// Writes to every controller but `excluded` (one fresh topic per attempt, short deadline,
// no redirects) until one commits; returns ms since `start`, or -1 after `limit_ms`.
double ProbeUntilCommitted(const std::vector<std::unique_ptr<controller::AdminService::Stub>>& stubs,
                           const std::vector<int>& ids, int excluded, Clock::time_point start,
                           const std::string& prefix, int64_t limit_ms, int64_t* attempts) {
  int64_t n = 0;
  while (MillisecondsSince(start) < limit_ms) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == excluded) continue;
      grpc::Status s = CreateTopics(stubs[i].get(), {absl::StrCat(prefix, "-", n++)}, 1, 500);
      if (s.ok()) {
        if (attempts != nullptr) *attempts = n;
        return MillisecondsSince(start);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

// Waits until every voter reports lag 0 on the leader (or `timeout`); returns ms waited or -1.
double WaitCaughtUp(ControllerCluster* cluster, std::chrono::milliseconds timeout) {
  auto start = Clock::now();
  while (Clock::now() - start < timeout) {
    int leader = cluster->WaitForLeader(std::chrono::seconds(1));
    controller::DescribeQuorumResponse response;
    if (leader > 0 && cluster->DescribeQuorum(leader, &response).ok()) {
      bool all = response.voters_size() == static_cast<int>(cluster->ids().size());
      for (const auto& v : response.voters()) all = all && v.lag() == 0 && v.log_end_offset() > 0;
      if (all) return MillisecondsSince(start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

struct FailoverResult {
  std::string label;
  std::vector<double> ms;
  int failed = 0;
};

// `trials` stops of the leader (SIGKILL, or SIGTERM when graceful) in a running quorum.
FailoverResult LeaderStops(Quorum* q, bool graceful, int trials, const std::string& label) {
  FailoverResult result;
  result.label = label;
  std::vector<int> ids = q->cluster->ids();
  std::vector<std::unique_ptr<controller::AdminService::Stub>> stubs;
  for (int id : ids) stubs.push_back(controller::AdminService::NewStub(keel::bench::BenchChannel(q->cluster->Address(id))));
  static int round = 0;
  ++round;
  for (int t = 0; t < trials; ++t) {
    const std::string prefix = absl::StrCat("f", round, "-", t);
    int leader = q->cluster->WaitForLeader(std::chrono::seconds(30));
    // The leader must be serving before the clock starts.
    if (leader < 0 || ProbeUntilCommitted(stubs, ids, -1, Clock::now(), prefix + "w", 30000, nullptr) < 0) {
      std::printf("  trial %d: no serving leader; skipped\n", t + 1);
      ++result.failed;
      continue;
    }
    leader = q->cluster->WaitForLeader(std::chrono::seconds(30));
    std::thread terminator;
    auto start = Clock::now();
    if (graceful) {
      terminator = std::thread([&, leader] { q->cluster->TerminateNode(leader, std::chrono::seconds(10)); });
    } else {
      q->cluster->KillNode(leader);
    }
    int64_t attempts = 0;
    double ms = ProbeUntilCommitted(stubs, ids, leader, start, prefix, 30000, &attempts);
    if (terminator.joinable()) terminator.join();
    if (ms < 0) {
      ++result.failed;
      std::printf("  trial %d: stopped leader %d; no write committed within 30 s\n", t + 1, leader);
    } else {
      result.ms.push_back(ms);
      std::printf("  trial %d: stopped leader %d; next write committed after %.0f ms (%lld probes)\n",
                  t + 1, leader, ms, static_cast<long long>(attempts));
    }
    std::fflush(stdout);
    q->cluster->StartNode(leader);
    keel::bench::RememberChildren();
    WaitCaughtUp(q->cluster.get(), std::chrono::seconds(60));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return result;
}

void PrintFailoverTable(const std::vector<FailoverResult>& rows) {
  std::printf("\n| Setting | Trials | p50 | p99 | min | max |\n|---|---|---|---|---|---|\n");
  for (const FailoverResult& r : rows) {
    LatencySummary s = keel::bench::Summarize(r.ms);
    double min = r.ms.empty() ? 0 : *std::min_element(r.ms.begin(), r.ms.end());
    std::printf("| %s | %lld%s | %.0f ms | %.0f ms | %.0f ms | %.0f ms |\n", r.label.c_str(),
                static_cast<long long>(s.count),
                r.failed > 0 ? absl::StrCat(" (", r.failed, " failed)").c_str() : "", s.p50_ms,
                s.p99_ms, min, s.max_ms);
  }
}

FailoverResult EtcdFailover(int64_t election_ms, int64_t heartbeat_ms, const std::string& label) {
  FailoverResult r;
  r.label = label;
  std::string out = RunEtcd({"failover", std::to_string(FLAGS_trials)},
                            EtcdEnv("-failover", election_ms, heartbeat_ms));
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (line.find("committed after") == absl::string_view::npos) continue;
    double v = ParseNumberAfter(std::string(line), "committed after");
    if (v >= 0) r.ms.push_back(v);
  }
  return r;
}

int RunFailover() {
  std::printf("== failover: %s, load %s\n", keel::bench::Now().c_str(),
              keel::bench::LoadAverage().c_str());
  std::vector<FailoverResult> rows;
  for (absl::string_view setting : absl::StrSplit(FLAGS_timeouts, ',', absl::SkipEmpty())) {
    ControllerClusterOptions options;
    std::string name;
    if (setting == "short") {
      options.election_timeout_ms = FLAGS_short_election_timeout_ms;
      options.heartbeat_interval_ms = FLAGS_short_heartbeat_interval_ms;
      name = absl::StrCat("election ", FLAGS_short_election_timeout_ms, "-",
                          2 * FLAGS_short_election_timeout_ms, " ms, heartbeat ",
                          FLAGS_short_heartbeat_interval_ms, " ms");
    } else {
      options.election_timeout_ms = 1000;
      options.heartbeat_interval_ms = 100;
      name = "default (election 1000-2000 ms, heartbeat 100 ms)";
    }
    Quorum q;
    std::string error;
    if (!StartQuorum(options, 1, 1, &q, &error)) return Fail(error);
    for (absl::string_view mode : absl::StrSplit(FLAGS_modes, ',', absl::SkipEmpty())) {
      const bool graceful = mode == "term";
      std::string label = absl::StrCat("Keel ", graceful ? "SIGTERM (transfer)" : "SIGKILL", ", ", name);
      std::printf("%s\n", label.c_str());
      rows.push_back(LeaderStops(&q, graceful, FLAGS_trials, label));
    }
    StopQuorum(&q);
  }
  if (FLAGS_etcd) {
    rows.push_back(EtcdFailover(0, 0, "etcd kill -9, defaults (election 1000 ms, heartbeat 100 ms)"));
    if (FLAGS_etcd_short) {
      // etcd refuses an election timeout under 5 heartbeats: shorten its heartbeat to fit.
      const int64_t heartbeat_ms =
          std::min(FLAGS_short_heartbeat_interval_ms, FLAGS_short_election_timeout_ms / 5);
      rows.push_back(EtcdFailover(FLAGS_short_election_timeout_ms, heartbeat_ms,
                                  absl::StrCat("etcd kill -9, election ", FLAGS_short_election_timeout_ms,
                                               " ms, heartbeat ", heartbeat_ms, " ms")));
    }
  }
  PrintFailoverTable(rows);
  return 0;
}

// ------------------------------------------------------------------------ scale

std::string ControllerDir(int id) {
  // ControllerCluster puts node<id> under <TEST_TMPDIR>/controllers-<pid>-<n>.
  for (const auto& e : std::filesystem::directory_iterator(g_scratch)) {
    if (e.path().filename().string().rfind("controllers-", 0) == 0) {
      return (e.path() / ("node" + std::to_string(id))).string();
    }
  }
  return "";
}

// Size of the file named "snapshot" under `dir` (0 if none).
int64_t SnapshotBytes(const std::string& dir) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path().filename() == "snapshot") return static_cast<int64_t>(it->file_size(ec));
  }
  return 0;
}

int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

void PrintMemory(Quorum* q, const std::string& when) {
  for (int id : q->cluster->ids()) {
    pid_t pid = keel::bench::FindChild({"keel-controller", absl::StrCat("--node_id=", id, " ")});
    std::printf("  controller %d%s: RSS %s, peak %s, data dir %s\n", id,
                id == q->leader ? " (leader)" : "", Mb(keel::bench::RssBytes(pid)).c_str(),
                Mb(keel::bench::PeakRssBytes(pid)).c_str(), Mb(DirBytes(ControllerDir(id))).c_str());
  }
  (void)when;
}

std::string FileTail(const std::string& path, size_t max_bytes) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

// SIGKILL + restart of real broker `id`; ms until DescribeCluster shows a new epoch, unfenced.
double RestartBroker(BrokerSet* brokers, ControllerClient* client, int id, bool graceful,
                     bool* ok) {
  auto describe = [&](int64_t* epoch, bool* fenced) {
    controller::DescribeClusterResponse response;
    grpc::Status s = client->Call(
        [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
          response.Clear();
          return controller::AdminService::NewStub(channel)->DescribeCluster(
              context, controller::DescribeClusterRequest(), &response);
        },
        std::chrono::seconds(10));
    *epoch = -1;
    *fenced = true;
    if (!s.ok()) return;
    for (const auto& b : response.brokers()) {
      if (b.broker_id() == id) {
        *epoch = b.broker_epoch();
        *fenced = b.fenced();
      }
    }
  };
  int64_t old_epoch = -1;
  bool fenced = true;
  describe(&old_epoch, &fenced);
  auto start = Clock::now();
  if (graceful) {
    brokers->TerminateBroker(id, std::chrono::seconds(60));  // controlled shutdown
  } else {
    brokers->KillBroker(id);
  }
  brokers->StartBroker(id);
  keel::bench::RememberChildren();
  while (MillisecondsSince(start) < 600000) {
    int64_t epoch = -1;
    describe(&epoch, &fenced);
    if (epoch != old_epoch && epoch >= 0 && !fenced) {
      *ok = true;
      return MillisecondsSince(start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *ok = false;
  return MillisecondsSince(start);
}

int RunScale() {
  const int64_t partitions = static_cast<int64_t>(FLAGS_topics) * FLAGS_partitions_per_topic;
  const int batches = (FLAGS_topics + FLAGS_batch_topics - 1) / FLAGS_batch_topics;
  std::printf("== scale: %d topics x %d partitions = %lld partitions (RF 1 over %d brokers), "
              "%s, load %s\n",
              FLAGS_topics, FLAGS_partitions_per_topic, static_cast<long long>(partitions),
              FLAGS_real_brokers + FLAGS_fake_brokers, keel::bench::Now().c_str(),
              keel::bench::LoadAverage().c_str());
  Quorum q;
  std::string error;
  ControllerClusterOptions options;
  options.election_timeout_ms = 1000;
  options.heartbeat_interval_ms = 100;
  // Snapshot right after the creation batches (counting entries from start: a few leader,
  // registration and fencing records come first), so it holds the full image.
  options.snapshot_every_entries = batches + 16;
  if (!StartQuorum(options, FLAGS_fake_brokers, 1000, &q, &error)) return Fail(error);
  ControllerClient admin(q.Addresses());
  BrokerSetOptions broker_options;
  // One more than started: the last one joins fresh at full size (it needs the whole image).
  broker_options.brokers = FLAGS_real_brokers + 1;
  broker_options.heartbeat_interval_ms = 2000;  // the broker's default
  broker_options.session_timeout_ms = 9000;
  BrokerSet brokers(q.cluster.get(), broker_options);
  if (FLAGS_real_brokers > 0) {
    for (int b = 1; b <= FLAGS_real_brokers; ++b) {
      if (!brokers.StartBroker(b)) return Fail("cannot start keel-broker");
    }
    keel::bench::RememberChildren();
    if (!brokers.WaitAllUnfenced(&admin, std::chrono::seconds(60))) return Fail("brokers fenced");
  }
  std::printf("before creation:\n");
  PrintMemory(&q, "before");

  // Creation: `creators` clients take batches of topics from a shared counter.
  std::atomic<int> next_batch{0};
  std::atomic<int64_t> failed{0};
  std::vector<std::vector<double>> latencies(FLAGS_creators);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < FLAGS_creators; ++c) {
    threads.emplace_back([&, c] {
      ControllerClient client(q.Addresses());
      while (true) {
        int b = next_batch.fetch_add(1);
        if (b >= batches) break;
        controller::CreateTopicsRequest request;
        for (int i = b * FLAGS_batch_topics; i < std::min(FLAGS_topics, (b + 1) * FLAGS_batch_topics); ++i) {
          auto* t = request.add_topics();
          t->set_name(absl::StrFormat("scale-%06d", i));
          t->set_num_partitions(FLAGS_partitions_per_topic);
          t->set_replication_factor(1);
        }
        auto t0 = Clock::now();
        controller::CreateTopicsResponse response;
        grpc::Status s = client.Call(
            [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
              response.Clear();
              return controller::AdminService::NewStub(channel)->CreateTopics(context, request, &response);
            },
            std::chrono::seconds(60));
        bool ok = s.ok();
        for (const auto& r : response.results()) ok = ok && r.error() == keel::NONE;
        if (!ok) {
          if (failed.fetch_add(1) < 3) {
            std::printf("  batch %d failed: %s %s\n", b, s.error_message().c_str(),
                        response.results_size() > 0 ? response.results(0).error_message().c_str() : "");
          }
        } else {
          latencies[c].push_back(MillisecondsSince(t0));
        }
        if (c == 0 && b % std::max(1, batches / 10) == 0) {
          std::printf("  %d/%d batches after %.1f s\n", b, batches, MillisecondsSince(start) / 1000);
          std::fflush(stdout);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double create_s = MillisecondsSince(start) / 1000;
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  LatencySummary create_latency = keel::bench::Summarize(all);
  std::printf("creation: %.1f s for %d topics / %lld partitions (%.0f partitions/s), %lld "
              "failed batches; per request of %d topics p50 %s ms, p99 %s ms\n",
              create_s, FLAGS_topics, static_cast<long long>(partitions), partitions / create_s,
              static_cast<long long>(failed.load()), FLAGS_batch_topics,
              Ms(create_latency.p50_ms).c_str(), Ms(create_latency.p99_ms).c_str());
  q.leader = q.cluster->WaitForLeader(std::chrono::seconds(30));

  // Snapshot: serial probe writes until the leader's snapshot file appears. The probe that
  // waits on the snapshot shows the stall it imposes (the snapshot is taken on the Raft loop).
  auto stub = controller::AdminService::NewStub(keel::bench::BenchChannel(q.cluster->Address(q.leader)));
  std::vector<double> probe;
  auto snap_start = Clock::now();
  int64_t snapshot_bytes = 0;
  int i = 0;
  while (MillisecondsSince(snap_start) < 300000) {
    snapshot_bytes = SnapshotBytes(ControllerDir(q.leader));
    if (snapshot_bytes > 0) break;
    auto t0 = Clock::now();
    grpc::Status s = CreateTopics(stub.get(), {absl::StrCat("snap-probe-", i++)}, 1, 120000);
    if (s.ok()) probe.push_back(MillisecondsSince(t0));
  }
  // A few more after it appears: the probe in flight during the snapshot has finished by now.
  for (int k = 0; k < 20; ++k) {
    auto t0 = Clock::now();
    if (CreateTopics(stub.get(), {absl::StrCat("snap-probe-", i++)}, 1, 120000).ok()) {
      probe.push_back(MillisecondsSince(t0));
    }
  }
  LatencySummary probe_latency = keel::bench::Summarize(probe);
  // Each controller logs how long its last snapshot took on its Raft loop (the write stall).
  double snapshot_ms = -1;
  for (int id : q.cluster->ids()) {
    const std::string log = FileTail(ControllerDir(id) + ".log", 1 << 20);  // beside its data
    const size_t at = log.rfind("took snapshot at offset");
    if (at == std::string::npos) continue;
    const std::string line = log.substr(at, log.find('\n', at) - at);
    const double ms = ParseNumberAfter(line, ") in ");
    std::printf("  controller %d: %s\n", id, line.c_str());
    snapshot_ms = std::max(snapshot_ms, ms);
  }
  std::printf("snapshot: %s on the leader (%lld probe writes; their p50 %s ms, max %s ms: the "
              "max is the write stall while the snapshot is taken)\n",
              Mb(snapshot_bytes).c_str(), static_cast<long long>(probe_latency.count),
              Ms(probe_latency.p50_ms).c_str(), Ms(probe_latency.max_ms).c_str());
  std::printf("after creation and snapshot:\n");
  PrintMemory(&q, "after");
  for (int b : brokers.ids()) {
    pid_t pid = keel::bench::FindChild({"keel-broker", absl::StrCat("--broker_id=", b, " ")});
    std::printf("  broker %d: RSS %s, data dir %s\n", b, Mb(keel::bench::RssBytes(pid)).c_str(),
                Mb(DirBytes(brokers.DataDir(b))).c_str());
  }
  std::fflush(stdout);

  // Failover at this size.
  FailoverResult failover = LeaderStops(&q, false, FLAGS_scale_failovers, "scale SIGKILL");
  std::vector<double> rejoin;
  {
    // Controller restart until caught up, on a follower.
    q.leader = q.cluster->WaitForLeader(std::chrono::seconds(30));
    int follower = q.leader == 1 ? 2 : 1;
    controller::DescribeQuorumResponse before;
    q.cluster->DescribeQuorum(q.leader, &before);
    q.cluster->KillNode(follower);
    auto t0 = Clock::now();
    q.cluster->StartNode(follower);
    keel::bench::RememberChildren();
    // Caught up: the restarted node knows the leader and has the high watermark of the kill.
    double ms = -1;
    while (MillisecondsSince(t0) < 300000) {
      controller::DescribeQuorumResponse own;
      if (q.cluster->DescribeQuorum(follower, &own).ok() && own.leader_id() > 0 &&
          own.high_watermark() >= before.high_watermark()) {
        ms = MillisecondsSince(t0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::printf("controller %d (follower) SIGKILL + restart: caught up after %.0f ms\n", follower, ms);
    rejoin.push_back(ms);
  }
  std::vector<double> broker_ms[2];
  for (int graceful = 0; graceful < 2; ++graceful) {
    for (int r = 0; r < FLAGS_broker_restarts && FLAGS_real_brokers > 0; ++r) {
      bool ok = false;
      double ms = RestartBroker(&brokers, &admin, 1, graceful == 1, &ok);
      std::printf("broker 1 %s + restart: %s after %.0f ms\n", graceful ? "SIGTERM" : "SIGKILL",
                  ok ? "unfenced" : "STILL FENCED", ms);
      std::fflush(stdout);
      if (ok) broker_ms[graceful].push_back(ms);
    }
  }
  // A broker that was never part of the cluster joins: it needs the full image first.
  double join_ms = -1;
  {
    const int id = FLAGS_real_brokers + 1;
    auto t0 = Clock::now();
    brokers.StartBroker(id);
    keel::bench::RememberChildren();
    bool ok = brokers.WaitAllUnfenced(&admin, std::chrono::seconds(120));
    join_ms = ok ? MillisecondsSince(t0) : -1;
    std::printf("new broker %d: %s after %.0f ms\n", id, ok ? "unfenced" : "STILL FENCED",
                MillisecondsSince(t0));
    if (!ok) std::printf("  its log ends:\n%s\n", FileTail(brokers.BrokerLog(id), 3000).c_str());
  }
  std::printf("\n| Figure | Value |\n|---|---|\n");
  std::printf("| partitions | %lld (%d topics x %d) |\n", static_cast<long long>(partitions),
              FLAGS_topics, FLAGS_partitions_per_topic);
  std::printf("| creation | %.1f s (%.0f partitions/s) |\n", create_s, partitions / create_s);
  std::printf("| snapshot size | %s |\n", Mb(snapshot_bytes).c_str());
  std::printf("| snapshot time on the Raft loop (= write stall), slowest controller | %s ms |\n",
              Ms(snapshot_ms).c_str());
  std::printf("| probe writes around the snapshot | max %s ms, p50 %s ms |\n",
              Ms(probe_latency.max_ms).c_str(), Ms(probe_latency.p50_ms).c_str());
  LatencySummary fs = keel::bench::Summarize(failover.ms);
  std::printf("| leader SIGKILL to next commit | median %.0f ms, max %.0f ms (%lld trials) |\n",
              keel::bench::Median(failover.ms), fs.max_ms, static_cast<long long>(fs.count));
  std::printf("| follower restart until caught up | %.0f ms |\n", keel::bench::Median(rejoin));
  std::printf("| broker SIGKILL + restart until unfenced (new epoch) | median %.0f ms (%zu restarts) |\n",
              keel::bench::Median(broker_ms[0]), broker_ms[0].size());
  std::printf("| broker SIGTERM (controlled shutdown) + restart until unfenced | median %.0f ms (%zu restarts) |\n",
              keel::bench::Median(broker_ms[1]), broker_ms[1].size());
  std::printf("| new broker joining until unfenced | %s |\n",
              join_ms < 0 ? "never (within 120 s)" : absl::StrFormat("%.0f ms", join_ms).c_str());
  StopQuorum(&q);
  return 0;
}

// ------------------------------------------------------------------------ fetch-latency

void DropPageCache(const std::string& dir) {
  ::sync();
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (!it->is_regular_file(ec)) continue;
    int fd = ::open(it->path().c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

int RunFetchLatency() {
  std::printf("== fetch-latency: %.1f GiB, batches of %d x %d B, %s, load %s\n", FLAGS_fetch_gib,
              FLAGS_fetch_records_per_batch, FLAGS_fetch_value_bytes, keel::bench::Now().c_str(),
              keel::bench::LoadAverage().c_str());
  Quorum q;
  std::string error;
  if (!StartQuorum(ControllerClusterOptions(), 0, 1, &q, &error)) return Fail(error);
  ControllerClient admin(q.Addresses());
  BrokerSetOptions broker_options;
  broker_options.brokers = 1;
  BrokerSet brokers(q.cluster.get(), broker_options);
  if (!brokers.StartAll()) return Fail("cannot start keel-broker");
  keel::bench::RememberChildren();
  if (!brokers.WaitAllUnfenced(&admin, std::chrono::seconds(60))) return Fail("broker fenced");
  controller::CreateTopicsResponse created;
  if (!admin.CreateTopic("big", 1, 1, &created).ok()) return Fail("cannot create topic");
  keel::testing::DataClient data(&admin);
  auto warm = data.Produce("big", 0, {{"k", "v"}});
  if (warm.error != keel::NONE) return Fail("first produce failed: " + warm.message);
  auto broker = data.StubFor(data.Leader("big", 0));

  keel::broker::ProduceRequest request;
  auto* pd = request.add_topics();
  pd->set_topic("big");
  auto* part = pd->add_partitions();
  part->set_partition(0);
  const std::string value(FLAGS_fetch_value_bytes, 'v');
  for (int i = 0; i < FLAGS_fetch_records_per_batch; ++i) {
    auto* r = part->add_records();
    r->set_key(absl::StrCat("key-", i));
    r->set_value(value);
  }
  const int64_t target = static_cast<int64_t>(FLAGS_fetch_gib * (1LL << 30));
  const int64_t per_call = static_cast<int64_t>(FLAGS_fetch_records_per_batch) * FLAGS_fetch_value_bytes;
  int64_t produced = 0, end_offset = 1;
  auto start = Clock::now();
  while (produced < target) {
    keel::broker::ProduceResponse response;
    grpc::ClientContext context;
    context.set_deadline(DeadlineIn(30000));
    grpc::Status s = broker->Produce(&context, request, &response);
    if (!s.ok() || response.topics(0).partitions(0).error() != keel::NONE) {
      return Fail("produce failed: " + s.error_message());
    }
    produced += per_call;
    end_offset = response.topics(0).partitions(0).base_offset() + FLAGS_fetch_records_per_batch;
  }
  const double produce_s = MillisecondsSince(start) / 1000;
  std::printf("produced %.2f GiB (%lld records) in %.1f s (%.0f MB/s of values, one call at a "
              "time; not the throughput benchmark)\n",
              produced / double(1LL << 30), static_cast<long long>(end_offset), produce_s,
              produced / 1e6 / produce_s);
  std::printf("broker data dir: %s\n", Mb(DirBytes(brokers.DataDir(1))).c_str());

  std::mt19937_64 rng(42);
  auto list_offsets = [&]() {
    std::vector<double> ms;
    for (int i = 0; i < FLAGS_fetch_reads; ++i) {
      keel::broker::ListOffsetsRequest lr;
      auto* t = lr.add_topics();
      t->set_topic("big");
      t->add_partitions()->set_timestamp_ms(-1);
      keel::broker::ListOffsetsResponse response;
      grpc::ClientContext context;
      context.set_deadline(DeadlineIn(10000));
      auto t0 = Clock::now();
      if (broker->ListOffsets(&context, lr, &response).ok()) ms.push_back(MillisecondsSince(t0));
    }
    return keel::bench::Summarize(ms);
  };
  int64_t bytes_read = 0;
  auto fetches = [&](bool cold) {
    std::vector<double> ms;
    for (int i = 0; i < FLAGS_fetch_reads; ++i) {
      if (cold && i % 100 == 0) DropPageCache(brokers.DataDir(1));
      keel::broker::FetchRequest fr;
      fr.set_max_bytes(1 << 20);
      auto* t = fr.add_topics();
      t->set_topic("big");
      auto* p = t->add_partitions();
      p->set_partition(0);
      p->set_fetch_offset(static_cast<int64_t>(rng() % static_cast<uint64_t>(end_offset)));
      p->set_partition_max_bytes(FLAGS_fetch_value_bytes);  // one batch
      p->set_current_leader_epoch(-1);
      keel::broker::FetchResponse response;
      grpc::ClientContext context;
      context.set_deadline(DeadlineIn(10000));
      auto t0 = Clock::now();
      grpc::Status s = broker->Fetch(&context, fr, &response);
      double elapsed = MillisecondsSince(t0);
      if (s.ok() && response.topics(0).partitions(0).error() == keel::NONE &&
          response.topics(0).partitions(0).batches_size() > 0) {
        ms.push_back(elapsed);
        bytes_read += static_cast<int64_t>(response.ByteSizeLong());
      }
    }
    return keel::bench::Summarize(ms);
  };
  LatencySummary base = list_offsets();
  LatencySummary warm_fetch = fetches(false);
  const int64_t warm_bytes = bytes_read;
  bytes_read = 0;
  LatencySummary cold_fetch = fetches(true);
  LatencySummary base2 = list_offsets();
  std::printf("\n| Read | Count | p50 | p99 | p50 vs ListOffsets |\n|---|---|---|---|---|\n");
  std::printf("| ListOffsets(latest) round trip, before | %lld | %s ms | %s ms | 1x |\n",
              static_cast<long long>(base.count), Ms(base.p50_ms).c_str(), Ms(base.p99_ms).c_str());
  std::printf("| Fetch at a random offset, warm page cache (%lld B/response) | %lld | %s ms | %s ms | %.1fx |\n",
              static_cast<long long>(warm_fetch.count > 0 ? warm_bytes / warm_fetch.count : 0),
              static_cast<long long>(warm_fetch.count), Ms(warm_fetch.p50_ms).c_str(),
              Ms(warm_fetch.p99_ms).c_str(), base.p50_ms > 0 ? warm_fetch.p50_ms / base.p50_ms : 0);
  std::printf("| Fetch at a random offset, cold (segment pages dropped every 100 reads) | %lld | %s ms | %s ms | %.1fx |\n",
              static_cast<long long>(cold_fetch.count), Ms(cold_fetch.p50_ms).c_str(),
              Ms(cold_fetch.p99_ms).c_str(), base.p50_ms > 0 ? cold_fetch.p50_ms / base.p50_ms : 0);
  std::printf("| ListOffsets(latest) round trip, after | %lld | %s ms | %s ms | |\n",
              static_cast<long long>(base2.count), Ms(base2.p50_ms).c_str(), Ms(base2.p99_ms).c_str());
  StopQuorum(&q);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "bazel run -c opt //tests/bench:keel_bench -- metadata|failover|scale|fsync|fetch-latency "
      "[flags]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (argc != 2) return Fail("one subcommand: metadata, failover, scale, fsync, fetch-latency");
  const std::string command = argv[1];
  if (!keel::bench::UseRunfiles(argv[0])) {
    return Fail("keel-controller / keel-broker not in the runfiles; use bazel run");
  }
  g_scratch = keel::bench::MakeScratch(FLAGS_dir);
  if (g_scratch.empty()) return Fail("cannot create a scratch directory in " + FLAGS_dir);
  int code;
  if (command == "metadata") {
    code = RunMetadata();
  } else if (command == "failover") {
    code = RunFailover();
  } else if (command == "scale") {
    code = RunScale();
  } else if (command == "fsync") {
    code = RunFsync();
  } else if (command == "fetch-latency") {
    code = RunFetchLatency();
  } else {
    code = Fail("unknown subcommand " + command);
  }
  std::error_code ec;
  if (FLAGS_keep) {
    std::printf("kept %s\n", g_scratch.c_str());
  } else {
    std::filesystem::remove_all(g_scratch, ec);
  }
  return code;
}
