// keel-controller: one voter of the controller quorum.
//
// Start-up: flags (optionally from a Kafka-style --config properties file), data-dir identity
// check (meta.properties), recovery of the metadata log and image, then the gRPC server with
// the Raft transport, the admin / broker-lifecycle / quorum / metadata services, the standard
// health service and server reflection. SIGTERM or SIGINT: a leader hands leadership to the
// most caught-up voter first, then the process exits 0 within about 2 s.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gflags/gflags.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include "common/meta_properties.h"
#include "common/properties_file.h"
#include "controller/controller_node.h"
#include "controller/controller_service.h"
#include "controller/raft_transport.h"
#include "controller/voters.h"
#include "security/node_tls.h"
#include "observability/grpc_client_metrics.h"
#include "observability/grpc_server_metrics.h"
#include "observability/metrics_registry.h"
#include "observability/metrics_server.h"

// gflags defines these in its own module; we handle them to show only our flags.
DECLARE_bool(help);
DECLARE_bool(helpshort);

DEFINE_string(config, "", "Optional Kafka-style properties file; keys are these flag names "
                          "(node.id or node_id). Command-line flags win over the file.");
DEFINE_int32(node_id, -1, "This controller's node id (unique in the quorum, >= 1).");
DEFINE_string(listen, "127.0.0.1:19091", "host:port the controller's gRPC server binds.");
DEFINE_string(voters, "",
              "The voter set, id@host:port separated by commas, e.g. "
              "1@127.0.0.1:19091,2@127.0.0.1:19092,3@127.0.0.1:19093.");
DEFINE_string(data_dir, "", "Directory for the metadata log and state (formatted on first start).");
DEFINE_string(cluster_id, "", "Cluster id; the data dir is formatted with it and checked on start.");
DEFINE_int64(tick_ms, 50, "Raft tick length; timeouts below are rounded to whole ticks.");
DEFINE_int64(election_timeout_ms, 1000,
             "Raft election timeout (randomized in [t, 2t)); KRaft's default is 1000.");
DEFINE_int64(heartbeat_interval_ms, 100, "How often the leader heartbeats followers.");
DEFINE_int64(snapshot_every_entries, 20000,
             "Take a metadata snapshot and compact the log after this many applied entries.");
DEFINE_int64(broker_session_timeout_ms, 9000,
             "A broker without a heartbeat for this long is fenced (Kafka's 9 s default).");
DEFINE_int64(segment_size_bytes, 64 << 20, "Segment size of the metadata log.");
DEFINE_string(log_level, "info", "Log level: trace, debug, info, warn, error.");
DEFINE_string(metrics_address, "",
              "IP:PORT where GET /metrics serves Prometheus metrics (docs/observability.md); "
              "empty: no metrics endpoint.");

// TLS (docs/security.md); the names are Kafka's, so a properties file may say
// ssl.certificate.location=... . Without a certificate every listener is plaintext.
DEFINE_string(ssl_certificate_location, "",
              "PEM certificate (chain) this controller presents, to clients and to its Raft "
              "peers; empty: plaintext gRPC. Re-read on SIGHUP.");
DEFINE_string(ssl_key_location, "", "PEM private key of --ssl_certificate_location.");
DEFINE_string(ssl_ca_location, "", "PEM CA certificates that peers' certificates must chain to.");
DEFINE_string(ssl_client_auth, "required",
              "Client certificates: required | requested | none. With none, Raft messages and "
              "broker registrations are not authenticated.");
DEFINE_string(ssl_principal_mapping_rules, "DEFAULT",
              "Kafka's ssl.principal.mapping.rules: RULE:pattern/replacement/[LU],... DEFAULT "
              "(DEFAULT: User:<CN>).");
DEFINE_string(ssl_controller_principal, "User:controller-{id}",
              "The principal of voter {id}'s certificate: only it may send Raft messages as {id}.");
DEFINE_string(ssl_broker_principal, "User:broker-{id}",
              "The principal of broker {id}'s certificate: only it may register and heartbeat "
              "as broker {id}.");

namespace {

int Fail(const std::string& message, int code = 1) {
  std::fprintf(stderr, "keel-controller: %s\n", message.c_str());
  return code;
}

// Health: SERVING only while this node knows a leader (a client or load balancer should not
// send it work otherwise). Follows each change as it happens, until `stopping`.
void ReportHealth(grpc::Server* server, keel::controller::ControllerNode* node,
                  const std::atomic<bool>* stopping) {
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health == nullptr) return;
  bool reported = false;
  bool serving = false;
  while (!stopping->load()) {
    bool has_leader = node->DescribeQuorum().leader_id > 0;
    if (!reported || has_leader != serving) {
      health->SetServingStatus(has_leader);
      spdlog::info("health: {} ({})", has_leader ? "SERVING" : "NOT_SERVING",
                   has_leader ? "a leader is known" : "no leader known");
      serving = has_leader;
      reported = true;
    }
    // Wakes at the change; the bound only lets `stopping` be seen.
    node->WaitLeaderKnownChange(serving, std::chrono::milliseconds(100));
  }
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "keel-controller --node_id=N --listen=HOST:PORT --voters=ID@HOST:PORT,... "
      "--data_dir=DIR --cluster_id=ID [--config=FILE]\n\n"
      "A Keel controller: a member of the Raft quorum that replicates the cluster metadata log.");
  gflags::SetVersionString("0.1.0");
  gflags::ParseCommandLineNonHelpFlags(&argc, &argv, true);
  if (FLAGS_help || FLAGS_helpshort) {
    gflags::ShowUsageWithFlagsRestrict(argv[0], "controller/controller_main");
    return 0;
  }
  gflags::HandleCommandLineHelpFlags();
  if (!FLAGS_config.empty()) {
    if (auto s = keel::common::ApplyPropertiesFileToFlags(FLAGS_config); !s.ok()) {
      return Fail(std::string(s.message()), 2);
    }
  }
  if (FLAGS_node_id < 1) return Fail("--node_id must be >= 1 (see --help)", 2);
  if (FLAGS_data_dir.empty()) return Fail("--data_dir is required", 2);
  if (FLAGS_cluster_id.empty()) return Fail("--cluster_id is required", 2);
  auto voters = keel::controller::ParseVoters(FLAGS_voters);
  if (!voters.ok()) return Fail("--voters: " + std::string(voters.status().message()), 2);
  if (!voters->count(FLAGS_node_id)) {
    return Fail("--node_id " + std::to_string(FLAGS_node_id) + " is not in --voters", 2);
  }
  if (FLAGS_tick_ms < 1 || FLAGS_election_timeout_ms < 2 * FLAGS_tick_ms ||
      FLAGS_heartbeat_interval_ms >= FLAGS_election_timeout_ms) {
    return Fail("need tick_ms >= 1, election_timeout_ms >= 2*tick_ms and "
                "heartbeat_interval_ms < election_timeout_ms", 2);
  }

  spdlog::set_level(spdlog::level::from_str(FLAGS_log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l [controller " + std::to_string(FLAGS_node_id) +
                      "] %v");

  if (auto s =
          keel::common::FormatOrCheckDataDir(FLAGS_data_dir, {FLAGS_cluster_id, FLAGS_node_id});
      !s.ok()) {
    return Fail(std::string(s.message()));
  }

  // Signals are taken by one thread with sigwait, so no handler runs inside gRPC or Raft.
  // SIGHUP re-reads the TLS files.
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
  absl::StatusOr<keel::security::NodeTls> tls =
      keel::security::OpenNodeTls(tls_settings, FLAGS_data_dir + "/tls-staged");
  if (!tls.ok()) return Fail("TLS: " + std::string(tls.status().message()));

  // Metrics are always recorded (cheap); --metrics_address decides whether they are served.
  std::shared_ptr<keel::observability::MetricsRegistry> metrics =
      keel::observability::MetricsRegistry::Create();
  keel::observability::GrpcServerMetrics server_metrics(*metrics);
  keel::observability::GrpcClientMetrics client_metrics(*metrics);

  keel::controller::RaftTransportOptions transport_options;
  transport_options.client_metrics = &client_metrics;
  transport_options.channel_credentials = tls->ChannelCredentials();
  transport_options.authorizer = tls->authorizer.get();
  keel::controller::RaftTransport transport(FLAGS_node_id, *voters, transport_options);
  keel::controller::ControllerNodeOptions options;
  options.node_id = FLAGS_node_id;
  options.voters = *voters;
  options.data_dir = FLAGS_data_dir;
  options.cluster_id = FLAGS_cluster_id;
  options.tick_ms = FLAGS_tick_ms;
  options.election_timeout_ms = FLAGS_election_timeout_ms;
  options.heartbeat_interval_ms = FLAGS_heartbeat_interval_ms;
  options.snapshot_every_entries = FLAGS_snapshot_every_entries;
  options.session_timeout_ms = FLAGS_broker_session_timeout_ms;
  options.segment_size_bytes = FLAGS_segment_size_bytes;
  options.metrics = metrics;
  auto node = keel::controller::ControllerNode::Open(options, &transport);
  if (!node.ok()) return Fail("cannot open " + FLAGS_data_dir + ": " + node.status().ToString());

  keel::controller::ControllerServices services(node->get(), tls->authorizer.get());
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(FLAGS_listen, tls->ServerCredentials(), &bound_port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(transport.service());
  services.RegisterAll(&builder);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(server_metrics.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    return Fail("cannot listen on " + FLAGS_listen + " (address in use or invalid)");
  }
  // The default health service starts out SERVING; no leader is known yet.
  if (auto* health = server->GetHealthCheckService(); health != nullptr) {
    health->SetServingStatus(false);
  }
  std::unique_ptr<keel::observability::MetricsServer> metrics_server;
  if (!FLAGS_metrics_address.empty()) {
    auto started = keel::observability::MetricsServer::Start(FLAGS_metrics_address, metrics);
    if (!started.ok()) {
      server->Shutdown(std::chrono::system_clock::now());
      return Fail("--metrics_address: " + started.status().ToString());
    }
    metrics_server = std::move(*started);
    spdlog::info("serving metrics on http://{}/metrics", FLAGS_metrics_address);
  }
  (*node)->Start();
  spdlog::info("listening on {} (cluster {}, voters {}, {})", FLAGS_listen, FLAGS_cluster_id,
               keel::controller::FormatVoters(*voters),
               tls->enabled() ? "TLS, ssl.client.auth=" + FLAGS_ssl_client_auth : "plaintext");

  std::atomic<bool> stopping{false};
  std::thread health(ReportHealth, server.get(), node->get(), &stopping);

  int signal_number = 0;
  while (sigwait(&signals, &signal_number) == 0 && signal_number == SIGHUP) {
    tls->ReloadAndLog();
  }
  spdlog::info("received signal {}; shutting down", signal_number);
  (*node)->TransferLeadershipAway(std::chrono::milliseconds(1000));
  stopping = true;
  health.join();
  services.Shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  (*node)->Stop();
  transport.Stop();
  metrics_server.reset();
  spdlog::info("stopped");
  return 0;
}
