// keel-broker: stores partition logs and serves Produce / Fetch / ListOffsets.
//
// Start-up: flags (optionally from a Kafka-style --config properties file), the cluster id
// (flag, or asked of the controllers), data-dir identity check (meta.properties in every data
// dir), log recovery, then the gRPC server, the metadata follower and registration.
// SIGTERM or SIGINT: controlled shutdown (the controller moves this broker's leaderships away
// first, bounded by --controlled_shutdown_timeout_ms), then a clean close of every log.
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <gflags/gflags.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_split.h"
#include "broker/broker.h"
#include "broker/rest/rest_proxy.h"
#include "client/channels.h"
#include "common/meta_properties.h"
#include "common/properties_file.h"
#include "proto/controller.grpc.pb.h"
#include "client/admin_client.h"
#include "security/node_tls.h"

// gflags defines these in its own module; we handle them to show only our flags.
DECLARE_bool(help);
DECLARE_bool(helpshort);

DEFINE_string(config, "", "Optional Kafka-style properties file; keys are these flag names "
                          "(broker.id or broker_id). Command-line flags win over the file.");
DEFINE_int32(broker_id, -1, "This broker's id (unique in the cluster, >= 1).");
DEFINE_string(listen, "127.0.0.1:19191", "host:port the broker's gRPC server binds.");
DEFINE_string(advertised_host, "",
              "Host registered for clients to reach this broker (default: the --listen host).");
DEFINE_string(controllers, "",
              "Bootstrap controllers, host:port separated by commas; the leader is found from them.");
DEFINE_string(data_dirs, "", "Directories for partition logs, separated by commas.");
DEFINE_string(rack, "", "Rack id used to spread replicas (optional).");
DEFINE_string(cluster_id, "",
              "Cluster id; empty: asked of the controllers. Checked against meta.properties.");
DEFINE_int64(heartbeat_interval_ms, 2000, "How often the broker heartbeats the controller.");
DEFINE_int64(broker_session_timeout_ms, 9000,
             "The controller's session timeout: without an unfenced heartbeat answer for this "
             "long the broker stops acting as a leader.");
DEFINE_int64(controlled_shutdown_timeout_ms, 15000,
             "On SIGTERM, how long to wait for the controller to move leaderships away.");
DEFINE_int64(message_max_bytes, 1048588,
             "Largest produced batch per partition (topic config max.message.bytes overrides).");
DEFINE_int64(log_flush_interval_messages, 0,
             "fsync a partition after this many batches (topic config flush.messages "
             "overrides); 0: never, as Kafka's default (durability from replication).");
DEFINE_int64(log_flush_interval_ms, 0,
             "fsync a partition when its last fsync is older than this on append (topic config "
             "flush.ms overrides); 0: never.");
DEFINE_int64(log_segment_bytes, 1 << 30, "Segment size of partition logs.");
DEFINE_int64(log_retention_ms, 7LL * 24 * 3600 * 1000,
             "Delete closed segments older than this (-1: keep forever).");
DEFINE_int64(log_retention_bytes, -1, "Keep at most this many bytes per partition (-1: no limit).");
DEFINE_int64(log_cleaner_backoff_ms, 15000,
             "Pause between passes of the log cleaner, which compacts topics with "
             "cleanup.policy=compact (Kafka's log.cleaner.backoff.ms; docs/compaction.md).");
DEFINE_int64(replica_lag_time_max_ms, 30000,
             "A follower not caught up to the leader for this long leaves the ISR (Kafka's "
             "replica.lag.time.max.ms).");
DEFINE_int32(replica_fetch_wait_max_ms, 500, "How long a leader holds an empty replica fetch.");
DEFINE_string(metrics_address, "",
              "IP:PORT where GET /metrics serves Prometheus metrics (docs/observability.md); "
              "empty: no metrics endpoint.");
DEFINE_string(kafka_listen, "",
              "host:port of the Kafka protocol listener (docs/kafka.md); empty: none. "
              "Registered as the KAFKA endpoint with --advertised_host, if given.");
DEFINE_bool(kafka_auto_create_topics, true,
            "Kafka's auto.create.topics.enable: a Metadata request naming an unknown topic "
            "creates it with --kafka_num_partitions and --kafka_default_replication_factor.");
DEFINE_int32(kafka_num_partitions, 1, "Kafka's num.partitions (auto-created topics, -1 in "
                                      "CreateTopics).");
DEFINE_int32(kafka_default_replication_factor, 1,
             "Kafka's default.replication.factor (auto-created topics, -1 in CreateTopics).");
// The group coordinator (docs/groups.md), named after Kafka's broker configs.
DEFINE_int32(group_initial_rebalance_delay_ms, 3000,
             "Kafka's group.initial.rebalance.delay.ms: the first rebalance of an empty group "
             "waits this long for more members.");
DEFINE_int32(group_min_session_timeout_ms, 6000, "Kafka's group.min.session.timeout.ms.");
DEFINE_int32(group_max_session_timeout_ms, 1800000, "Kafka's group.max.session.timeout.ms.");
DEFINE_int32(group_max_size, 2147483647, "Kafka's group.max.size.");
DEFINE_int32(offsets_topic_num_partitions, 50,
             "Kafka's offsets.topic.num.partitions (__consumer_offsets, made on first use).");
DEFINE_int32(offsets_topic_replication_factor, 3,
             "Kafka's offsets.topic.replication.factor (capped at the usable brokers).");
DEFINE_int64(kafka_socket_request_max_bytes, 100 << 20,
             "Kafka's socket.request.max.bytes: a larger request closes its connection.");
// The REST proxy (docs/rest.md): Confluent REST Proxy's v2/v3 APIs over client/.
DEFINE_string(rest_listen, "", "host:port of the REST proxy (docs/rest.md); empty: none.");
DEFINE_int32(rest_threads, 16,
             "REST proxy worker threads; each open connection holds one while it is open.");
DEFINE_int64(rest_max_request_bytes, 16 << 20, "REST request bodies larger than this get 413.");
DEFINE_int64(rest_consumer_instance_timeout_ms, 300000,
             "Confluent's consumer.instance.timeout.ms: a REST consumer instance without a "
             "request for this long is closed and leaves its group.");
DEFINE_int64(rest_produce_timeout_ms, 30000,
             "How long a REST produce waits for its records (the producer's delivery.timeout.ms).");
DEFINE_int64(rest_admin_timeout_ms, 15000,
             "Timeout of the REST proxy's metadata and admin calls to the controllers.");
DEFINE_string(log_level, "info", "Log level: trace, debug, info, warn, error.");
// TLS (docs/security.md); the names are Kafka's, so a properties file may say
// ssl.certificate.location=... . Without a certificate the gRPC listener is plaintext.
DEFINE_string(ssl_certificate_location, "",
              "PEM certificate (chain) this broker presents, to clients and to the controllers "
              "and brokers it calls; empty: plaintext gRPC. Re-read on SIGHUP.");
DEFINE_string(ssl_key_location, "", "PEM private key of --ssl_certificate_location.");
DEFINE_string(ssl_ca_location, "", "PEM CA certificates that peers' certificates must chain to.");
DEFINE_string(ssl_client_auth, "required",
              "Client certificates on the gRPC listener: required | requested | none.");
DEFINE_string(ssl_principal_mapping_rules, "DEFAULT",
              "Kafka's ssl.principal.mapping.rules: RULE:pattern/replacement/[LU],... DEFAULT "
              "(DEFAULT: User:<CN>).");
DEFINE_string(ssl_controller_principal, "User:controller-{id}",
              "The principal of controller {id}'s certificate.");
DEFINE_string(kafka_security_protocol, "PLAINTEXT",
              "Kafka listener's security protocol: PLAINTEXT or SSL (TLS with the ssl.* files "
              "above; clients use security.protocol=SSL).");
DEFINE_string(ssl_broker_principal, "User:broker-{id}",
              "The principal of broker {id}'s certificate (this broker's must match it).");

namespace {

int Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "keel-broker: %s\n", message.c_str());
  return code;
}

// The cluster id the controllers report (DescribeQuorum), or "" after `timeout`.
std::string AskClusterId(const std::vector<std::string>& controllers,
                         const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  keel::client::AdminClientOptions options;
  options.controllers = controllers;
  options.channel_factory = [credentials](const std::string& address) {
    return grpc::CreateChannel(address, credentials);
  };
  keel::client::AdminClient client(options);
  while (std::chrono::steady_clock::now() < deadline) {
    auto response = client.DescribeQuorum(std::chrono::milliseconds(2000));
    if (response.ok() && !response->cluster_id().empty()) return response->cluster_id();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  return "";
}

// Like Kafka's, a broker keeps each segment's files open (three descriptors per replica with
// one segment, broker/partition_manager.h), so the soft limit is raised to the hard one, as
// etcd and the Go runtime do. Returns the limit now in force; it also bounds the replicas the
// broker will host.
uint64_t RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  spdlog::info("open files limit: {} (room for about {} partition replicas)",
               static_cast<uint64_t>(limit.rlim_cur),
               keel::broker::MaxReplicasForOpenFiles(limit.rlim_cur));
  return limit.rlim_cur;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "keel-broker --broker_id=N --listen=HOST:PORT --controllers=HOST:PORT,... "
      "--data_dirs=DIR[,DIR]\n\n"
      "A Keel broker: registers with the controller quorum and stores partition logs.");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, true);
  if (FLAGS_help || FLAGS_helpshort) {
    gflags::ShowUsageWithFlagsRestrict(argv[0], "broker/");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
  if (!FLAGS_config.empty()) {
    if (auto s = keel::common::ApplyPropertiesFileToFlags(FLAGS_config); !s.ok()) {
      return Fail(std::string(s.message()), 2);
    }
  }
  if (FLAGS_broker_id < 1) return Fail("--broker_id must be >= 1 (see --help)", 2);
  if (FLAGS_controllers.empty() || FLAGS_data_dirs.empty()) {
    return Fail("--controllers and --data_dirs are required", 2);
  }
  if (FLAGS_heartbeat_interval_ms < 1 ||
      FLAGS_broker_session_timeout_ms <= FLAGS_heartbeat_interval_ms) {
    return Fail("need heartbeat_interval_ms >= 1 and broker_session_timeout_ms > "
                "heartbeat_interval_ms", 2);
  }
  if (FLAGS_message_max_bytes < 1 || FLAGS_log_segment_bytes < 1024) {
    return Fail("need message_max_bytes >= 1 and log_segment_bytes >= 1024", 2);
  }
  if (FLAGS_log_cleaner_backoff_ms < 1) return Fail("need log_cleaner_backoff_ms >= 1", 2);
  if (FLAGS_kafka_num_partitions < 1 || FLAGS_kafka_default_replication_factor < 1 ||
      FLAGS_kafka_default_replication_factor > INT16_MAX ||
      FLAGS_kafka_socket_request_max_bytes < 1024) {
    return Fail("need kafka_num_partitions >= 1, kafka_default_replication_factor in "
                "[1, 32767] and kafka_socket_request_max_bytes >= 1024", 2);
  }
  spdlog::set_level(spdlog::level::from_str(FLAGS_log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [broker " + std::to_string(FLAGS_broker_id) +
                      "] %v");

  keel::broker::BrokerOptions options;
  options.broker_id = FLAGS_broker_id;
  options.listen = FLAGS_listen;
  options.advertised_host = FLAGS_advertised_host;
  options.controllers = absl::StrSplit(FLAGS_controllers, ',', absl::SkipEmpty());
  options.data_dirs = absl::StrSplit(FLAGS_data_dirs, ',', absl::SkipEmpty());
  options.rack = FLAGS_rack;
  options.heartbeat_interval_ms = FLAGS_heartbeat_interval_ms;
  options.session_timeout_ms = FLAGS_broker_session_timeout_ms;
  options.controlled_shutdown_timeout_ms = FLAGS_controlled_shutdown_timeout_ms;
  options.log_options.segment_size_bytes = FLAGS_log_segment_bytes;
  options.log_options.retention_ms = FLAGS_log_retention_ms;
  options.log_options.retention_bytes = FLAGS_log_retention_bytes;
  options.replica_lag_time_max_ms = FLAGS_replica_lag_time_max_ms;
  options.log_cleaner_backoff_ms = FLAGS_log_cleaner_backoff_ms;
  options.metrics_address = FLAGS_metrics_address;
  options.replica_fetcher.max_wait_ms = FLAGS_replica_fetch_wait_max_ms;
  options.default_policy.max_message_bytes = FLAGS_message_max_bytes;
  options.kafka_listen = FLAGS_kafka_listen;
  options.kafka.auto_create_topics = FLAGS_kafka_auto_create_topics;
  options.kafka.default_partitions = FLAGS_kafka_num_partitions;
  options.kafka.default_replication_factor =
      static_cast<int16_t>(FLAGS_kafka_default_replication_factor);
  options.kafka_max_request_bytes = FLAGS_kafka_socket_request_max_bytes;
  if (FLAGS_group_initial_rebalance_delay_ms < 0 || FLAGS_group_min_session_timeout_ms < 1 ||
      FLAGS_group_max_session_timeout_ms < FLAGS_group_min_session_timeout_ms ||
      FLAGS_group_max_size < 1 || FLAGS_offsets_topic_num_partitions < 1 ||
      FLAGS_offsets_topic_replication_factor < 1 ||
      FLAGS_offsets_topic_replication_factor > INT16_MAX) {
    return Fail("need group_initial_rebalance_delay_ms >= 0, 1 <= group_min_session_timeout_ms "
                "<= group_max_session_timeout_ms, group_max_size >= 1, "
                "offsets_topic_num_partitions >= 1, offsets_topic_replication_factor in "
                "[1, 32767]", 2);
  }
  options.kafka.groups.initial_rebalance_delay_ms = FLAGS_group_initial_rebalance_delay_ms;
  options.kafka.groups.min_session_timeout_ms = FLAGS_group_min_session_timeout_ms;
  options.kafka.groups.max_session_timeout_ms = FLAGS_group_max_session_timeout_ms;
  options.kafka.groups.max_size = FLAGS_group_max_size;
  options.kafka.groups.offsets_topic_num_partitions = FLAGS_offsets_topic_num_partitions;
  options.kafka.groups.offsets_topic_replication_factor =
      static_cast<int16_t>(FLAGS_offsets_topic_replication_factor);
  options.default_policy.flush_messages = FLAGS_log_flush_interval_messages;
  options.default_policy.flush_ms = FLAGS_log_flush_interval_ms;

  // Signals are taken by one thread with sigwait, so no handler runs inside gRPC. SIGHUP
  // re-reads the TLS files. Blocked before any thread starts, so every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  keel::security::NodeTlsSettings tls_settings;
  tls_settings.certificate_location = FLAGS_ssl_certificate_location;
  tls_settings.key_location = FLAGS_ssl_key_location;
  tls_settings.ca_location = FLAGS_ssl_ca_location;
  tls_settings.client_auth = FLAGS_ssl_client_auth;
  tls_settings.principal_mapping_rules = FLAGS_ssl_principal_mapping_rules;
  tls_settings.controller_principal = FLAGS_ssl_controller_principal;
  tls_settings.broker_principal = FLAGS_ssl_broker_principal;
  // The staged copy lives in the first data dir (a name no partition directory can have).
  absl::StatusOr<keel::security::NodeTls> tls =
      keel::security::OpenNodeTls(tls_settings, options.data_dirs[0] + "/tls-staged");
  if (!tls.ok()) return Fail("TLS: " + std::string(tls.status().message()));
  if (FLAGS_kafka_security_protocol == "SSL") {
    if (!tls->enabled()) {
      return Fail("--kafka_security_protocol=SSL needs --ssl_certificate_location", 2);
    }
    options.kafka_tls = tls->listener_context;
  } else if (FLAGS_kafka_security_protocol != "PLAINTEXT") {
    return Fail("--kafka_security_protocol must be PLAINTEXT or SSL", 2);
  }
  // OpenSSL writes to the Kafka listener's sockets with write(2): a client gone away must be
  // an EPIPE error on its connection, not the end of the process.
  signal(SIGPIPE, SIG_IGN);
  options.server_credentials = tls->ServerCredentials();
  options.channel_credentials = tls->ChannelCredentials();
  // The REST proxy's clients (client/ inside this process) make their channels with the
  // default credentials: in a TLS cluster they are the broker's own certificate.
  if (options.channel_credentials != nullptr) {
    keel::client::SetDefaultChannelCredentials(options.channel_credentials);
  }

  options.cluster_id = FLAGS_cluster_id;
  if (options.cluster_id.empty()) {
    options.cluster_id =
        AskClusterId(options.controllers, options.channel_credentials, std::chrono::seconds(30));
    if (options.cluster_id.empty()) {
      return Fail("no controller in --controllers answered with a cluster id within 30 s");
    }
  }
  for (const std::string& dir : options.data_dirs) {
    if (auto s = keel::common::FormatOrCheckDataDir(dir, {options.cluster_id, FLAGS_broker_id});
        !s.ok()) {
      return Fail(std::string(s.message()));
    }
  }

  options.open_files_limit = RaiseOpenFilesLimit();
  auto broker = keel::broker::Broker::Open(options);
  if (!broker.ok()) return Fail("cannot open the data dirs: " + broker.status().ToString());
  if (auto s = (*broker)->Start(); !s.ok()) return Fail(std::string(s.message()));
  std::unique_ptr<keel::rest::RestProxy> rest;
  if (!FLAGS_rest_listen.empty()) {
    keel::rest::RestProxyOptions rest_options;
    rest_options.listen = FLAGS_rest_listen;
    rest_options.controllers = options.controllers;
    const std::string grpc_host = FLAGS_listen.substr(0, FLAGS_listen.rfind(':'));
    rest_options.brokers = {grpc_host + ":" + std::to_string((*broker)->bound_port())};
    rest_options.cluster_id = options.cluster_id;
    rest_options.broker_id = FLAGS_broker_id;
    rest_options.worker_threads = FLAGS_rest_threads;
    rest_options.max_request_bytes = FLAGS_rest_max_request_bytes;
    rest_options.consumer_instance_timeout_ms = FLAGS_rest_consumer_instance_timeout_ms;
    rest_options.produce_timeout_ms = FLAGS_rest_produce_timeout_ms;
    rest_options.admin_timeout_ms = FLAGS_rest_admin_timeout_ms;
    auto started = keel::rest::RestProxy::Start(rest_options, (*broker)->metrics());
    if (!started.ok()) {
      (*broker)->Shutdown();
      return Fail("rest proxy: " + started.status().ToString());
    }
    rest = std::move(*started);
  }

  // A fatal registration answer (another cluster) stops the process instead of retrying.
  std::atomic<bool> done{false};
  std::thread watchdog([&] {
    while (!done) {
      if (!(*broker)->lifecycle()->fatal_error().ok()) {
        kill(getpid(), SIGTERM);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    tls->ReloadAndLog();
  }
  done = true;
  watchdog.join();
  absl::Status fatal = (*broker)->lifecycle()->fatal_error();
  spdlog::info("received signal {}; shutting down", signal_number);
  if (rest != nullptr) rest->Stop();
  (*broker)->Shutdown();
  if (!fatal.ok()) return Fail(std::string(fatal.message()));
  return 0;
}
