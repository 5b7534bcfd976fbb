// rest_bench: the REST proxy's produce rate (issue 18) beside the gRPC client::Producer, in one
// run against real processes.
//   bazel run -c opt //tests/bench:rest_bench [-- --seconds=10 --connections=4]
//
// Starts 1 keel-controller and 1 keel-broker (with --rest_listen) on 127.0.0.1 (ephemeral
// ports, scratch data deleted at the end; children killed by pid, also on SIGINT/SIGTERM),
// creates one topic per phase (--partitions, RF 1) and measures, each for --seconds:
//   rest            --connections threads, each with one keep-alive HTTP connection, POST
//                   /topics/{t} with --records_per_request records of --record_bytes bytes as
//                   base64 (application/vnd.kafka.binary.v2+json), one request at a time,
//                   counting records answered with an offset;
//   producer-requests  the same shape through client::Producer directly: --connections
//                   threads each Send --records_per_request records and wait for all of
//                   them (what the proxy does per request, without HTTP and JSON);
//   producer        one thread streaming records through client::Producer (its own batching),
//                   the gRPC client's best case (tests/bench/producer_load.h).
// Every phase uses acks=all and linger.ms=1, the proxy's producer settings.
#include <atomic>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>
#include <httplib.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/admin_client.h"
#include "client/metadata_cache.h"
#include "client/producer.h"
#include "tests/bench/cluster_harness.h"
#include "tests/bench/producer_load.h"
#include "tests/integration/broker_cluster.h"
#include "tests/integration/controller_cluster.h"
#include "tests/integration/process.h"

DEFINE_int32(connections, 4, "REST connections (and Producer threads in producer-requests).");
DEFINE_int32(records_per_request, 100, "Records per REST request.");
DEFINE_int32(record_bytes, 100, "Record value size before base64.");
DEFINE_int32(partitions, 1, "Partitions of each measured topic.");
DEFINE_double(seconds, 5, "Length of each phase.");
DEFINE_string(dir, "/tmp", "Where the scratch directory goes.");

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

int Fail(const std::string& message) {
  std::fprintf(stderr, "rest_bench: %s\n", message.c_str());
  return 1;
}

struct Result {
  int64_t records = 0;
  int64_t requests = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
};

void Print(const char* name, const Result& r) {
  auto latency = keel::bench::Summarize(r.latencies_ms);
  std::printf("%-20s %10.0f records/s  %8.0f requests/s  p50 %7.2f ms  p99 %7.2f ms  errors %ld\n",
              name, r.seconds > 0 ? r.records / r.seconds : 0,
              r.seconds > 0 ? r.requests / r.seconds : 0, latency.p50_ms, latency.p99_ms,
              static_cast<long>(r.errors));
  std::fflush(stdout);
}

// Runs `request(thread)` (returns records acknowledged, -1 on failure) on --connections
// threads for --seconds.
template <typename Fn>
Result RunThreads(Fn request) {
  std::vector<Result> per_thread(FLAGS_connections);
  const auto start = Clock::now();
  const auto end = start + milliseconds(static_cast<int64_t>(FLAGS_seconds * 1000));
  std::vector<std::thread> threads;
  for (int t = 0; t < FLAGS_connections; ++t) {
    threads.emplace_back([&, t] {
      Result& r = per_thread[t];
      while (Clock::now() < end) {
        const auto t0 = Clock::now();
        const int64_t acked = request(t);
        r.latencies_ms.push_back(keel::bench::MillisecondsSince(t0));
        ++r.requests;
        if (acked < 0) {
          ++r.errors;
        } else {
          r.records += acked;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  Result all;
  all.seconds = keel::bench::MillisecondsSince(start) / 1000.0;
  for (auto& r : per_thread) {
    all.records += r.records;
    all.requests += r.requests;
    all.errors += r.errors;
    all.latencies_ms.insert(all.latencies_ms.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("bazel run -c opt //tests/bench:rest_bench -- [flags]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_connections < 1 || FLAGS_records_per_request < 1 || FLAGS_record_bytes < 1 ||
      FLAGS_partitions < 1) {
    return Fail("--connections, --records_per_request, --record_bytes, --partitions must be >= 1");
  }
  if (!keel::bench::UseRunfiles(argv[0])) {
    return Fail("keel-broker / keel-controller not found in the runfiles; use bazel run");
  }
  const std::string root = keel::bench::MakeScratch(FLAGS_dir);
  if (root.empty()) return Fail("cannot create a scratch dir in " + FLAGS_dir);
  std::printf("rest_bench %s: 1 controller + 1 broker on 127.0.0.1, %d records of %d B per "
              "request, %d connections, %d partitions, acks=all, %.0f s per phase, %u cores, "
              "load average %s\n",
              keel::bench::Now().c_str(), FLAGS_records_per_request, FLAGS_record_bytes,
              FLAGS_connections, FLAGS_partitions, FLAGS_seconds,
              std::thread::hardware_concurrency(), keel::bench::LoadAverage().c_str());
  std::fflush(stdout);

  const int rest_port = keel::testing::PickFreePort();
  keel::testing::ControllerClusterOptions copts;
  copts.voters = 1;
  copts.election_timeout_ms = 1000;
  copts.heartbeat_interval_ms = 100;
  keel::testing::ControllerCluster controllers(copts);
  keel::testing::BrokerSetOptions bopts;
  bopts.brokers = 1;
  bopts.heartbeat_interval_ms = 1000;
  bopts.session_timeout_ms = 9000;
  bopts.extra_flags = {absl::StrCat("--rest_listen=127.0.0.1:", rest_port)};
  keel::testing::BrokerSet brokers(&controllers, bopts);
  if (!controllers.StartAll() || controllers.WaitForLeader(seconds(30)) <= 0) {
    return Fail("cannot start the controller");
  }
  keel::client::AdminClientOptions admin_options;
  for (int id : controllers.ids()) admin_options.controllers.push_back(controllers.Address(id));
  keel::testing::ControllerClient controller_client(admin_options.controllers);
  if (!brokers.StartAll() || !brokers.WaitAllUnfenced(&controller_client, seconds(30))) {
    return Fail("cannot start the broker");
  }
  keel::bench::RememberChildren();
  auto admin = std::make_shared<keel::client::AdminClient>(admin_options);
  for (const char* topic : {"rest", "producer-requests", "producer"}) {
    if (!admin->CreateTopic(topic, FLAGS_partitions, 1).ok()) return Fail("cannot create the topics");
  }
  auto metadata = std::make_shared<keel::client::MetadataCache>(admin, std::vector<std::string>{});

  // --- REST: one body, built once (base64 of the same value in every record)
  const std::string value(FLAGS_record_bytes, 'v');
  std::string body = "{\"records\":[";
  const std::string record = absl::StrCat("{\"value\":\"", absl::Base64Escape(value), "\"}");
  for (int i = 0; i < FLAGS_records_per_request; ++i) body += (i > 0 ? "," : "") + record;
  body += "]}";
  std::vector<std::unique_ptr<httplib::Client>> clients;
  for (int t = 0; t < FLAGS_connections; ++t) {
    clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", rest_port));
    clients.back()->set_keep_alive(true);
    clients.back()->set_tcp_nodelay(true);
    clients.back()->set_read_timeout(60, 0);
  }
  // The proxy's first produce looks the topic up; keep that out of the timed phase.
  if (auto warm = clients[0]->Post("/topics/rest", body, "application/vnd.kafka.binary.v2+json");
      !warm || warm->status != 200) {
    return Fail("the REST proxy did not accept a produce request");
  }
  Result rest = RunThreads([&](int t) -> int64_t {
    auto res = clients[t]->Post("/topics/rest", body, "application/vnd.kafka.binary.v2+json");
    if (!res || res->status != 200) return -1;
    // Every record answered with an offset ("error_code":null) counts.
    int64_t acked = 0;
    for (size_t at = res->body.find("\"error_code\":null"); at != std::string::npos;
         at = res->body.find("\"error_code\":null", at + 1)) {
      ++acked;
    }
    return acked;
  });
  Print("rest", rest);

  // --- client::Producer, the same request shape
  auto producer = keel::client::Producer::Create({{"acks", "all"}, {"linger.ms", "1"}}, metadata);
  if (!producer.ok()) return Fail(producer.status().ToString());
  Result shaped = RunThreads([&](int) -> int64_t {
    std::vector<std::future<absl::StatusOr<keel::client::RecordMetadata>>> sent;
    for (int i = 0; i < FLAGS_records_per_request; ++i) {
      keel::client::ProducerRecord r;
      r.topic = "producer-requests";
      r.value = value;
      sent.push_back((*producer)->Send(std::move(r)));
    }
    int64_t acked = 0;
    for (auto& f : sent) acked += f.get().ok() ? 1 : 0;
    return acked;
  });
  Print("producer-requests", shaped);

  // --- client::Producer, streaming (one thread)
  keel::bench::Throughput streaming = keel::bench::ProduceWithProducer(
      metadata, "producer", FLAGS_record_bytes, {{"acks", "all"}, {"linger.ms", "1"}},
      keel::bench::Budget{FLAGS_seconds, 0});
  std::printf("%-20s %10.0f records/s  %8.0f requests/s%s%s\n", "producer", streaming.RecordsPerSecond(),
              streaming.CallsPerSecond(), streaming.error.empty() ? "" : "  error: ",
              streaming.error.c_str());
  std::printf("rest / producer-requests %.2fx, rest / producer %.2fx; load average at the end %s\n",
              shaped.records > 0 ? (rest.records / rest.seconds) / (shaped.records / shaped.seconds) : 0,
              streaming.RecordsPerSecond() > 0 ? (rest.records / rest.seconds) / streaming.RecordsPerSecond() : 0,
              keel::bench::LoadAverage().c_str());
  return rest.errors > 0 ? 1 : 0;
}
