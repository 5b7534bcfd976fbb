// broker_bench: Keel's data plane (Produce, Fetch) against loopback gRPC with no storage and
// against the raw disk, all measured in the same run.
//   bazel run -c opt //tests/bench:broker_bench [-- --flush_messages=1 | --compare_rf3 ...]
//
// Starts 3 keel-controller and N keel-broker processes on 127.0.0.1 (ephemeral ports, data in
// a scratch directory deleted at the end; every process is killed by pid on exit, also on
// SIGINT/SIGTERM). Then, for each record value size and each configuration (the flags', plus
// RF 3 acks=all with --compare_rf3), it creates a topic and measures with one client:
//   produce  pre-built Produce calls of --records_per_call records, one call at a time,
//            round robin over the partitions' leaders, for --seconds (or --megabytes);
//   fetch    everything produced, read back with partition_max_bytes of
//            --fetch_partition_max_bytes (warm page cache), bounded by --seconds;
//   Producer client::Producer with default batch.size / linger.ms on a topic of its own,
//            --rounds times with the hand-batched produce, alternating which goes first
//            (each produce phase starts after sync() and --settle_ms).
// Baselines in the same process and run (tests/bench/baselines.h): the same Produce request and
// the largest Fetch response Keel returned, sent to a no-op BrokerService over loopback gRPC;
// raw bytes of the same message sizes streamed one way over loopback gRPC; and at the end the
// disk's sequential write rate with one fdatasync and its 4 KiB write + fdatasync rate.
// MB/s counts record value bytes only (1 MB = 10^6 bytes), the same way in every row.
// request-latency-avg (Kafka's producer/consumer metric) is read back from the client-side gRPC
// metrics every benchmark channel records (keel_grpc_client_request_duration_seconds sum /
// count over the phase's calls; docs/observability.md).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "tests/bench/baselines.h"
#include "client/admin_client.h"
#include "client/metadata_cache.h"
#include "tests/bench/keel_load.h"
#include "tests/bench/producer_load.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/process.h"

DEFINE_int32(brokers, 0, "Brokers to start; 0: the largest replication factor measured.");
DEFINE_int32(replication_factor, 1, "Replication factor of the measured topics.");
DEFINE_int32(partitions, 1, "Partitions per measured topic.");
DEFINE_string(acks, "leader", "Produce acks: leader or all.");
DEFINE_int64(flush_messages, 0,
             "Topic config flush.messages (fsync after this many batches); 0: not set (the "
             "broker default, never).");
DEFINE_bool(compare_rf3, false,
            "Also measure replication factor 3 with acks=all in the same run (3+ brokers).");
DEFINE_double(seconds, 3, "Length of each timed phase.");
DEFINE_double(megabytes, 0, "If > 0, each produce phase stops after this many MB of values "
                            "(or --seconds, whichever comes first).");
DEFINE_int32(records_per_call, 1000, "Records per Produce call (one batch).");
DEFINE_string(value_sizes, "100,1024", "Record value sizes in bytes, separated by commas.");
DEFINE_int32(fetch_partition_max_bytes, 8 << 20, "partition_max_bytes of each Fetch.");
DEFINE_int64(disk_megabytes, 256, "MiB written by the sequential disk baseline.");
DEFINE_string(dir, "/tmp", "Parent of the scratch directory.");
DEFINE_bool(producer, true,
            "Also measure client::Producer (default batch.size / linger.ms) on each topic, "
            "after the hand-batched produce and the fetch.");
DEFINE_bool(producer_first, false,
            "Run the client::Producer phase before the hand-batched produce in the first round "
            "(the default runs it after the hand-batched produce and the fetch).");
DEFINE_int32(rounds, 1,
             "Rounds of (hand-batched produce, Producer) per configuration, each on fresh "
             "topics, alternating which goes first; the Producer / hand-batched table reports "
             "every round's ratio and their median (the order alone moved single runs between "
             "0.6x and 1.2x on this machine).");
DEFINE_int32(settle_ms, 1000,
             "Before each produce phase: sync() and wait this long, so that no phase starts "
             "while the previous phase's dirty pages are still being written back.");
DEFINE_string(producer_props, "",
              "Extra Producer properties, k=v separated by commas (acks is the row's).");

namespace {

using keel::bench::Budget;
using keel::bench::Throughput;

// Children's pids, for the signal handler (which may only make async-signal-safe calls).
constexpr int kMaxChildren = 64;
pid_t g_children[kMaxChildren];
volatile sig_atomic_t g_child_count = 0;

void KillChildrenAndExit(int signal_number) {
  for (int i = 0; i < g_child_count; ++i) ::kill(g_children[i], SIGKILL);
  ::_exit(128 + signal_number);
}

// Records this process's children (the controllers and brokers) by reading /proc.
void RememberChildren() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    pid_t pid = 0;
    if (!absl::SimpleAtoi(name, &pid)) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // "pid (comm) state ppid ...": comm may hold spaces, so parse after the last ')'.
    const size_t paren = line.rfind(')');
    if (paren == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(line.substr(paren + 2), ' ');
    pid_t ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) && ppid == ::getpid() &&
        count < kMaxChildren) {
      g_children[count++] = pid;
    }
  }
  g_child_count = count;
}

// The integration helpers find keel-controller and keel-broker through TEST_SRCDIR; under
// `bazel run` they sit in this binary's runfiles tree instead.
bool PointHelpersAtRunfiles(const char* argv0) {
  std::string runfiles;
  if (const char* dir = std::getenv("RUNFILES_DIR"); dir != nullptr) runfiles = dir;
  if (runfiles.empty()) {
    const std::string cwd = std::filesystem::current_path().string();
    const size_t at = cwd.find(".runfiles/");
    if (at != std::string::npos) runfiles = cwd.substr(0, at + std::string(".runfiles").size());
  }
  if (runfiles.empty()) runfiles = std::string(argv0) + ".runfiles";
  ::setenv("TEST_SRCDIR", runfiles.c_str(), 1);
  ::setenv("TEST_WORKSPACE", "keel", 1);
  return std::filesystem::exists(keel::testing::RunfilePath("broker/keel-broker")) &&
         std::filesystem::exists(keel::testing::RunfilePath("controller/keel-controller"));
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

struct Config {
  int replication_factor;
  keel::broker::Acks acks;
  std::string label;
};

struct SizeResults {
  int32_t value_bytes = 0;
  std::vector<Throughput> produce;  // one per Config
  std::vector<Throughput> fetch;
  std::vector<Throughput> producer;  // client::Producer, one per Config (if --producer)
  // Per Config, every round's hand-batched and Producer figures (round 0 is also above).
  std::vector<std::vector<Throughput>> hand_rounds, producer_rounds;
  Throughput noop_produce, noop_fetch, stream_produce, stream_fetch;
  int64_t produce_message_bytes = 0, fetch_message_bytes = 0;
};

std::string Ratio(const Throughput& keel, const Throughput& base) {
  if (base.payload_bytes == 0 || base.seconds == 0) return "-";
  return absl::StrFormat("%.2fx", keel.MegabytesPerSecond() / base.MegabytesPerSecond());
}

std::string Rate(const Throughput& t) {
  std::string s = absl::StrFormat("%.1f MB/s, %s rec/s", t.MegabytesPerSecond(),
                                  absl::StrFormat("%.0f", t.RecordsPerSecond()));
  if (!t.error.empty()) s += " (" + t.error + ")";
  return s;
}

std::string MBps(const Throughput& t) {
  std::string s = absl::StrFormat("%.1f MB/s", t.MegabytesPerSecond());
  if (!t.error.empty()) s += " (" + t.error + ")";
  return s;
}

// Kafka's request-latency-avg, as the client-side gRPC metrics recorded it.
std::string Latency(const Throughput& t) {
  return t.request_latency_avg_ms < 0 ? "-" : absl::StrFormat("%.2f ms", t.request_latency_avg_ms);
}

void PrintRow(const std::string& phase, const Throughput& keel, const Throughput& noop,
              const Throughput& stream) {
  std::printf("| %s | %s; %.0f calls/s | %s | %s | %s | %s | %s | %s |\n", phase.c_str(),
              Rate(keel).c_str(), keel.CallsPerSecond(), Latency(keel).c_str(),
              MBps(noop).c_str(), Latency(noop).c_str(), Ratio(keel, noop).c_str(),
              MBps(stream).c_str(), Ratio(keel, stream).c_str());
}

// Lets the page cache's writeback of the previous phase finish before the next one starts.
void Settle() {
  if (FLAGS_settle_ms <= 0) return;
  ::sync();
  std::this_thread::sleep_for(std::chrono::milliseconds(FLAGS_settle_ms));
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double RecordsRatio(const Throughput& producer, const Throughput& hand) {
  return hand.RecordsPerSecond() > 0 ? producer.RecordsPerSecond() / hand.RecordsPerSecond() : 0;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "broker_bench: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("bazel run -c opt //tests/bench:broker_bench -- [flags]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_acks != "leader" && FLAGS_acks != "all") return Fail("--acks is leader or all");
  std::vector<int32_t> sizes;
  for (absl::string_view s : absl::StrSplit(FLAGS_value_sizes, ',', absl::SkipEmpty())) {
    int32_t v = 0;
    if (!absl::SimpleAtoi(s, &v) || v < 1) return Fail("bad --value_sizes");
    sizes.push_back(v);
  }
  if (FLAGS_records_per_call < 1 || FLAGS_partitions < 1 || FLAGS_replication_factor < 1) {
    return Fail("--records_per_call, --partitions and --replication_factor must be >= 1");
  }
  if (!PointHelpersAtRunfiles(argv[0])) {
    return Fail("keel-broker / keel-controller not found in the runfiles; use bazel run");
  }

  std::vector<Config> configs = {
      {FLAGS_replication_factor,
       FLAGS_acks == "all" ? keel::broker::ACKS_ALL : keel::broker::ACKS_LEADER,
       absl::StrCat("RF ", FLAGS_replication_factor, " acks=", FLAGS_acks)}};
  if (FLAGS_compare_rf3) configs.push_back({3, keel::broker::ACKS_ALL, "RF 3 acks=all"});
  int brokers = FLAGS_brokers;
  for (const Config& c : configs) brokers = std::max(brokers, c.replication_factor);

  std::string root = FLAGS_dir + "/keel-broker-bench-XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) return Fail("cannot create a scratch dir in " + FLAGS_dir);
  ::setenv("TEST_TMPDIR", root.c_str(), 1);  // where the helpers put data dirs and logs
  struct sigaction action {};
  action.sa_handler = KillChildrenAndExit;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::printf("broker_bench: 3 controllers + %d brokers on 127.0.0.1, scratch %s\n", brokers,
              root.c_str());
  std::printf("partitions %d, %d records/call, flush.messages %s, %.1f s per phase%s, fetch "
              "partition_max_bytes %d, %u cores, load average %s\n",
              FLAGS_partitions, FLAGS_records_per_call,
              FLAGS_flush_messages > 0 ? std::to_string(FLAGS_flush_messages).c_str() : "unset",
              FLAGS_seconds,
              FLAGS_megabytes > 0 ? absl::StrFormat(" or %.0f MB", FLAGS_megabytes).c_str() : "",
              FLAGS_fetch_partition_max_bytes, std::thread::hardware_concurrency(),
              LoadAverage().c_str());
  std::fflush(stdout);

  const Budget budget{FLAGS_seconds, static_cast<int64_t>(FLAGS_megabytes * 1e6)};
  const Budget fetch_budget{FLAGS_seconds, 0};
  std::vector<SizeResults> results;
  std::string failure;
  {
    keel::testing::ControllerClusterOptions copts;
    copts.election_timeout_ms = 1000;  // KRaft's defaults: a busy machine must not re-elect
    copts.heartbeat_interval_ms = 100;
    keel::testing::ControllerCluster controllers(copts);
    keel::testing::BrokerSetOptions bopts;
    bopts.brokers = brokers;
    bopts.heartbeat_interval_ms = 1000;
    bopts.session_timeout_ms = 9000;
    keel::testing::BrokerSet broker_set(&controllers, bopts);
    if (!controllers.StartAll()) return Fail("cannot start the controllers");
    RememberChildren();
    if (controllers.WaitForLeader(std::chrono::seconds(30)) < 0) {
      return Fail("no controller leader within 30 s; logs under " + root);
    }
    if (!broker_set.StartAll()) return Fail("cannot start the brokers");
    RememberChildren();
    std::vector<std::string> addresses =
        absl::StrSplit(controllers.AllAddresses(), ',', absl::SkipEmpty());
    keel::testing::ControllerClient client(addresses);
    if (!broker_set.WaitAllUnfenced(&client, std::chrono::seconds(30))) {
      return Fail("brokers not unfenced within 30 s; logs under " + root);
    }
    keel::testing::DataClient data_client(&client);
    keel::client::AdminClientOptions admin_options;
    admin_options.controllers = addresses;
    auto metadata = std::make_shared<keel::client::MetadataCache>(
        std::make_shared<keel::client::AdminClient>(admin_options), std::vector<std::string>{});
    auto baseline = keel::bench::LoopbackBaseline::Start();
    if (baseline == nullptr) return Fail("cannot start the loopback baseline server");

    for (int32_t size : sizes) {
      SizeResults r;
      r.value_bytes = size;
      keel::broker::FetchResponse sample;
      std::unique_ptr<keel::bench::KeelTopic> first_topic;
      r.hand_rounds.resize(configs.size());
      r.producer_rounds.resize(configs.size());
      for (size_t ci = 0; ci < configs.size() && failure.empty(); ++ci) {
        const Config& c = configs[ci];
        for (int round = 0; round < std::max(1, FLAGS_rounds) && failure.empty(); ++round) {
          const bool producer_first = FLAGS_producer_first != (round % 2 == 1);
          const std::string topic = absl::StrCat(
              "bench-rf", c.replication_factor, "-",
              c.acks == keel::broker::ACKS_ALL ? "all" : "leader", "-", size, "b",
              round == 0 ? "" : absl::StrCat("-r", round));
          // The Producer writes a topic of its own (same shape), so that the hand-batched
          // produce and the fetch see only their own records and both start on empty logs.
          const std::string producer_topic = topic + "-producer";
          keel::controller::CreateTopicsRequest request;
          for (const std::string& name : {topic, producer_topic}) {
            if (!FLAGS_producer && name == producer_topic) break;
            auto* t = request.add_topics();
            t->set_name(name);
            t->set_num_partitions(FLAGS_partitions);
            t->set_replication_factor(c.replication_factor);
            (*t->mutable_configs())["max.message.bytes"] = std::to_string(32 << 20);
            if (FLAGS_flush_messages > 0) {
              (*t->mutable_configs())["flush.messages"] = std::to_string(FLAGS_flush_messages);
            }
          }
          keel::controller::CreateTopicsResponse response;
          grpc::Status s = client.Call(
              [&](const std::shared_ptr<grpc::Channel>& channel, grpc::ClientContext* context) {
                response.Clear();
                return keel::controller::AdminService::NewStub(channel)->CreateTopics(
                    context, request, &response);
              },
              std::chrono::seconds(10));
          bool created = s.ok() && response.results_size() == request.topics_size();
          for (const auto& result : response.results()) {
            created = created && result.error() == keel::NONE;
          }
          if (!created) {
            failure = "CreateTopics " + topic + ": " + s.error_message() +
                      (response.results_size() ? response.results(0).error_message() : "");
            break;
          }
          keel::bench::LoadShape shape;
          shape.records_per_call = FLAGS_records_per_call;
          shape.value_bytes = size;
          shape.acks = c.acks;
          shape.fetch_partition_max_bytes = FLAGS_fetch_partition_max_bytes;
          std::string error;
          auto keel_topic = keel::bench::KeelTopic::Prepare(topic, FLAGS_partitions, shape,
                                                            &data_client, &broker_set, &error);
          if (keel_topic == nullptr) {
            failure = error;
            break;
          }
          Throughput hand, producer;
          auto run_producer = [&] {
            keel::client::Properties props;
            for (absl::string_view kv :
                 absl::StrSplit(FLAGS_producer_props, ',', absl::SkipEmpty())) {
              std::pair<std::string, std::string> p =
                  absl::StrSplit(kv, absl::MaxSplits('=', 1));
              props[p.first] = p.second;
            }
            props["acks"] = c.acks == keel::broker::ACKS_ALL ? "all" : "1";
            Settle();
            std::printf("Producer...");
            std::fflush(stdout);
            producer = keel::bench::ProduceWithProducer(metadata, producer_topic, size, props,
                                                        budget);
            std::printf(" %s", Rate(producer).c_str());
          };
          std::printf("  %s, %d B values%s: ", c.label.c_str(), size,
                      round == 0 ? "" : absl::StrCat(", round ", round + 1).c_str());
          if (FLAGS_producer && producer_first) {
            run_producer();
            std::printf("; ");
          }
          Settle();
          std::printf("produce...");
          std::fflush(stdout);
          hand = keel::bench::WithRequestLatency(
              "BrokerService/Produce", [&] { return keel_topic->Produce(budget); });
          std::printf(" %s", MBps(hand).c_str());
          if (round == 0) {
            std::printf("; fetch...");
            std::fflush(stdout);
            keel::broker::FetchResponse this_sample;
            Throughput fetch = keel::bench::WithRequestLatency("BrokerService/Fetch", [&] {
              return keel_topic->FetchAll(fetch_budget, &this_sample);
            });
            std::printf(" %s", MBps(fetch).c_str());
            if (fetch.records != hand.records && fetch.error.empty()) {
              fetch.error = absl::StrCat("read ", fetch.records, " records of ", hand.records);
            }
            r.produce.push_back(hand);
            r.fetch.push_back(fetch);
            if (first_topic == nullptr) {
              sample = std::move(this_sample);
              first_topic = std::move(keel_topic);
            }
          }
          if (FLAGS_producer && !producer_first) {
            std::printf("; ");
            run_producer();
          }
          std::printf("\n");
          if (round == 0 && FLAGS_producer) r.producer.push_back(producer);
          r.hand_rounds[ci].push_back(hand);
          r.producer_rounds[ci].push_back(producer);
        }
      }
      if (!failure.empty()) break;

      // Baselines: the first configuration's Produce request and largest Fetch answer.
      int64_t sample_records = 0, sample_payload = 0;
      for (const auto& td : sample.topics()) {
        for (const auto& pd : td.partitions()) {
          keel::bench::CountFetched(pd, 0, &sample_records, &sample_payload);
        }
      }
      r.produce_message_bytes = static_cast<int64_t>(first_topic->request().ByteSizeLong());
      r.fetch_message_bytes = static_cast<int64_t>(sample.ByteSizeLong());
      std::printf("  baselines, %d B values (%lld B produce messages, %lld B fetch answers)...",
                  size, static_cast<long long>(r.produce_message_bytes),
                  static_cast<long long>(r.fetch_message_bytes));
      std::fflush(stdout);
      r.noop_produce = keel::bench::WithRequestLatency("BrokerService/Produce", [&] {
        return baseline->Produce(first_topic->request(), FLAGS_records_per_call,
                                 first_topic->payload_per_call(), budget);
      });
      r.noop_fetch = keel::bench::WithRequestLatency(
          "BrokerService/Fetch", [&] { return baseline->Fetch(sample, fetch_budget); });
      r.stream_produce = baseline->StreamUpload(r.produce_message_bytes, FLAGS_records_per_call,
                                                first_topic->payload_per_call(), budget);
      if (sample_payload > 0) {
        r.stream_fetch = baseline->StreamDownload(r.fetch_message_bytes, sample_records,
                                                  sample_payload, fetch_budget);
      }
      std::printf(" done\n");
      results.push_back(std::move(r));
    }
    // Leaving this scope kills every broker and controller (by pid) and stops the baseline.
  }
  g_child_count = 0;

  std::printf("  disk baseline...\n");
  keel::bench::DiskRates disk =
      keel::bench::MeasureDisk(root + "/disk", FLAGS_disk_megabytes, std::min(FLAGS_seconds, 2.0));

  std::printf("\nload average at the end: %s\n\n", LoadAverage().c_str());
  std::printf("| Phase | Keel | Keel request-latency-avg | no-op BrokerService (same messages, "
              "unary) | no-op request-latency-avg | Keel / no-op | raw gRPC stream (same message "
              "sizes) | Keel / stream |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  for (const SizeResults& r : results) {
    for (size_t i = 0; i < r.produce.size(); ++i) {
      PrintRow(absl::StrCat("produce ", r.value_bytes, " B x ", FLAGS_records_per_call, ", ",
                            configs[i].label),
               r.produce[i], r.noop_produce, r.stream_produce);
    }
    for (size_t i = 0; i < r.fetch.size(); ++i) {
      PrintRow(absl::StrCat("fetch ", r.value_bytes, " B, ", configs[i].label), r.fetch[i],
               r.noop_fetch, r.stream_fetch);
    }
  }
  if (FLAGS_producer) {
    std::printf("\n| Produce | hand-batched, %d records/call | client::Producer (batch.size, "
                "linger.ms%s) | Producer calls/s, records/call | Producer / hand-batched, "
                "per round (P: Producer first, H: hand-batched first) | median |\n",
                FLAGS_records_per_call,
                FLAGS_producer_props.empty() ? " defaults" : (": " + FLAGS_producer_props).c_str());
    std::printf("|---|---|---|---|---|---|\n");
    for (const SizeResults& r : results) {
      for (size_t i = 0; i < r.producer.size(); ++i) {
        const Throughput& p = r.producer[i];
        std::vector<double> ratios;
        std::string per_round;
        for (size_t k = 0; k < r.producer_rounds[i].size(); ++k) {
          const double ratio = RecordsRatio(r.producer_rounds[i][k], r.hand_rounds[i][k]);
          ratios.push_back(ratio);
          const bool producer_first = FLAGS_producer_first != (k % 2 == 1);
          absl::StrAppend(&per_round, k == 0 ? "" : ", ", producer_first ? "P " : "H ",
                          absl::StrFormat("%.2fx", ratio));
        }
        std::printf("| %d B, %s | %s | %s | %.0f calls/s, %.0f | %s | %.2fx |\n", r.value_bytes,
                    configs[i].label.c_str(), Rate(r.produce[i]).c_str(), Rate(p).c_str(),
                    p.CallsPerSecond(), p.calls > 0 ? static_cast<double>(p.records) / p.calls : 0,
                    per_round.c_str(), Median(ratios));
      }
    }
  }
  std::printf("\nDisk (same directory): sequential write, 1 MiB writes + one fdatasync: %.0f MB/s; "
              "4 KiB write + fdatasync: %.0f /s%s\n",
              disk.sequential_megabytes_per_second, disk.fdatasyncs_per_second,
              disk.error.empty() ? "" : (" (" + disk.error + ")").c_str());
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  if (!failure.empty()) return Fail(failure);
  return 0;
}
