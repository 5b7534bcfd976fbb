// keelctl cluster up | status | down | logs | restart-node: a whole cluster of separate
// processes on this machine, described by DIR/cluster.json (see local_cluster.h for ports).
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "absl/strings/str_join.h"
#include "proto/controller.grpc.pb.h"
#include "tools/ctl/commands.h"
#include "tools/ctl/health.h"
#include "tools/ctl/local_cluster.h"
#include "tools/ctl/local_tls.h"
#include "client/channels.h"
#include "security/grpc_credentials.h"
#include "tools/ctl/output.h"

namespace keel::keelctl {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

int Fail(const std::string& what, const std::string& message, int code = 1) {
  std::fprintf(stderr, "keelctl: %s: %s\n", what.c_str(), message.c_str());
  return code;
}

std::string Addr(int port) { return "127.0.0.1:" + std::to_string(port); }

bool HelpLists(const std::string& help, const std::string& flag) {
  return help.find("-" + flag + " ") != std::string::npos ||
         help.find("-" + flag + "=") != std::string::npos ||
         help.find("-" + flag + ")") != std::string::npos;
}

std::string LastLine(const std::string& path) {
  std::string tail = ReadTail(path, 1);
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

bool Running(const LocalNode& n) { return !n.argv.empty() && IsRunning(n.pid, n.argv[0]); }

// The node layout `up` asks for (pids unset).
LocalCluster Layout(const LocalClusterOptions& o, const std::string& dir,
                    const std::string& cluster_id, const std::string& controller_bin,
                    const std::string& broker_bin) {
  LocalCluster c;
  c.dir = dir;
  c.cluster_id = cluster_id;
  std::string controller_help = CaptureOutput({controller_bin, "--help"}, 5000);
  std::string broker_help = broker_bin.empty() ? "" : CaptureOutput({broker_bin, "--help"}, 5000);
  std::vector<std::string> voters, controllers;
  for (int i = 1; i <= o.controllers_count; ++i) {
    voters.push_back(std::to_string(i) + "@" + Addr(o.base_port + i - 1));
    controllers.push_back(Addr(o.base_port + i - 1));
  }
  for (int i = 1; i <= o.controllers_count; ++i) {
    LocalNode n;
    n.role = "controller";
    n.id = i;
    n.name = "controller-" + std::to_string(i);
    n.address = Addr(o.base_port + i - 1);
    n.metrics_address = Addr(o.base_port + 200 + i - 1);
    n.data_dir = dir + "/" + n.name;
    n.log_file = dir + "/" + n.name + ".log";
    n.argv = {controller_bin,
              "--node_id=" + std::to_string(i),
              "--listen=" + n.address,
              "--voters=" + absl::StrJoin(voters, ","),
              "--data_dir=" + n.data_dir,
              "--cluster_id=" + cluster_id};
    if (HelpLists(controller_help, "metrics_address")) {
      n.argv.push_back("--metrics_address=" + n.metrics_address);
    }
    for (const auto& a : o.controller_args) n.argv.push_back(a);
    c.nodes.push_back(std::move(n));
  }
  for (int i = 1; i <= o.brokers_count; ++i) {
    LocalNode n;
    n.role = "broker";
    n.id = i;
    n.name = "broker-" + std::to_string(i);
    n.address = Addr(o.base_port + 100 + i - 1);
    n.metrics_address = Addr(o.base_port + 300 + i - 1);
    n.data_dir = dir + "/" + n.name;
    n.log_file = dir + "/" + n.name + ".log";
    n.argv = {broker_bin,
              "--broker_id=" + std::to_string(i),
              "--listen=" + n.address,
              "--controllers=" + absl::StrJoin(controllers, ","),
              "--data_dirs=" + n.data_dir};
    // Flags the broker gained over time are passed only when its --help lists them.
    if (HelpLists(broker_help, "cluster_id")) n.argv.push_back("--cluster_id=" + cluster_id);
    if (HelpLists(broker_help, "metrics_address")) {
      n.argv.push_back("--metrics_address=" + n.metrics_address);
    }
    if (HelpLists(broker_help, "kafka_listen")) {
      n.kafka_address = Addr(o.base_port + 400 + i - 1);
      n.argv.push_back("--kafka_listen=" + n.kafka_address);
    }
    if (HelpLists(broker_help, "rest_listen")) {
      n.rest_address = Addr(o.base_port + 500 + i - 1);
      n.argv.push_back("--rest_listen=" + n.rest_address);
    }
    for (const auto& a : o.broker_args) n.argv.push_back(a);
    c.nodes.push_back(std::move(n));
  }
  return c;
}

// Waits until every controller names the same leader and every broker in `brokers` is registered
// and unfenced, while every node in `watched` stays alive. "" when ready, else why not.
std::string WaitReady(const LocalCluster& c, const std::vector<const LocalNode*>& watched,
                      const std::set<int>& brokers, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  std::string waiting_for = "a controller leader";
  while (true) {
    for (const LocalNode* n : watched) {
      // Liveness first, the exit code after: IsRunning itself reaps a child that has just
      // exited, and ReapIfExited then returns the code it kept. Asking for the code first
      // lost it when the child exited between the two calls ("exited" with no code).
      const bool running = IsRunning(n->pid, n->argv[0]);
      const int code = ReapIfExited(n->pid);
      if (!running || code >= 0) {
        std::string why = code >= 0 ? "exited with code " + std::to_string(code) : "exited";
        return n->name + " " + why + " (" + n->log_file + ": " + LastLine(n->log_file) + ")";
      }
    }
    // Every controller must name the same leader, and that leader itself: then each one
    // serves (health SERVING) and redirects writes correctly.
    std::string leader;
    std::set<int32_t> named;
    for (const LocalNode& n : c.nodes) {
      if (n.role != "controller") continue;
      auto stub = controller::QuorumService::NewStub(
          grpc::CreateChannel(n.address, client::DefaultChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + milliseconds(500));
      controller::DescribeQuorumResponse q;
      const bool ok = stub->DescribeQuorum(&context, controller::DescribeQuorumRequest(), &q).ok();
      named.insert(ok ? q.leader_id() : -1);
      if (ok && q.leader_id() > 0 && q.leader().address() == n.address) leader = n.address;
    }
    if (!leader.empty() && named.size() > 1) {
      leader.clear();
      waiting_for = "every controller to know the leader";
    }
    if (!leader.empty()) {
      waiting_for = "brokers to register and be unfenced";
      std::set<int> ready;
      auto stub = controller::AdminService::NewStub(
          grpc::CreateChannel(leader, client::DefaultChannelCredentials()));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + milliseconds(500));
      controller::DescribeClusterResponse cluster;
      if (stub->DescribeCluster(&context, controller::DescribeClusterRequest(), &cluster).ok()) {
        for (const auto& b : cluster.brokers()) {
          if (!b.fenced() && !b.in_controlled_shutdown()) ready.insert(b.broker_id());
        }
      }
      std::vector<std::string> missing;
      for (int id : brokers) {
        if (!ready.count(id)) missing.push_back("broker-" + std::to_string(id));
      }
      if (missing.empty()) return "";
      waiting_for = "brokers to register and be unfenced (" + absl::StrJoin(missing, ", ") +
                    " not yet)";
    }
    if (steady_clock::now() >= deadline) {
      return "timed out after " + std::to_string(timeout.count()) + " ms waiting for " +
             waiting_for + "; logs are in " + c.dir;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

void PrintNodes(const LocalCluster& c, bool with_state) {
  std::vector<std::vector<std::string>> rows;
  for (const LocalNode& n : c.nodes) {
    bool running = Running(n);
    std::vector<std::string> row = {n.name, n.role, std::to_string(n.id), n.address,
                                    n.metrics_address, running ? std::to_string(n.pid) : "-"};
    if (with_state) {
      row.push_back(running ? "running" : "stopped");
      row.push_back(running ? CheckHealth(n.address, milliseconds(1000)) : "-");
    }
    row.push_back(n.log_file);
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header = {"Node", "Role", "Id", "Address", "Metrics", "Pid"};
  if (with_state) {
    header.push_back("State");
    header.push_back("Health");
  }
  header.push_back("Log");
  std::printf("Cluster %s in %s\n", c.cluster_id.c_str(), c.dir.c_str());
  std::cout << FormatTable(header, rows);
}

void PrintExport(const LocalCluster& c) {
  std::string tls;  // what keelctl needs to talk to a --tls cluster
  if (!c.tls_ca_file.empty()) {
    tls = " KEEL_TLS_CA=" + c.tls_ca_file + " KEEL_TLS_CERT=" + c.tls_admin_cert +
          " KEEL_TLS_KEY=" + c.tls_admin_key;
  }
  std::printf("export KEEL_CONTROLLERS=%s KEEL_BROKERS=%s%s\n", c.ControllerAddresses().c_str(),
              c.BrokerAddresses().c_str(), tls.c_str());
  const std::string kafka = c.KafkaAddresses();
  if (!kafka.empty() && !c.tls_ca_file.empty()) {
    std::printf("kcat -b %s -X security.protocol=SSL -X ssl.ca.location=%s "
                "-X ssl.certificate.location=%s -X ssl.key.location=%s -L\n",
                kafka.c_str(), c.tls_ca_file.c_str(), c.tls_admin_cert.c_str(),
                c.tls_admin_key.c_str());
  } else if (!kafka.empty()) {
    std::printf("kcat -b %s -L\n", kafka.c_str());
  }
}

std::string AbsoluteDir(const std::string& dir) {
  return fs::absolute(dir).lexically_normal().string();
}

// A --tls cluster's health checks and readiness waits use its admin certificate.
absl::Status UseClusterTls(const LocalCluster& c) {
  if (c.tls_ca_file.empty()) return absl::OkStatus();
  auto credentials =
      security::ClientCredentialsFromFiles(c.tls_ca_file, c.tls_admin_cert, c.tls_admin_key);
  if (!credentials.ok()) return credentials.status();
  client::SetDefaultChannelCredentials(*credentials);
  return absl::OkStatus();
}

// Makes the CA and certificates and points every node's ssl.* flags at its own.
absl::Status SetUpLocalTls(LocalCluster* cluster) {
  std::vector<std::string> names;
  for (const LocalNode& n : cluster->nodes) names.push_back(n.name);
  absl::StatusOr<LocalTlsFiles> files = MakeLocalTls(cluster->dir, names);
  if (!files.ok()) return files.status();
  cluster->tls_ca_file = files->ca_file;
  cluster->tls_admin_cert = files->admin_cert;
  cluster->tls_admin_key = files->admin_key;
  for (LocalNode& n : cluster->nodes) {
    n.argv.push_back("--ssl_certificate_location=" + LocalTlsCert(cluster->dir, n.name));
    n.argv.push_back("--ssl_key_location=" + LocalTlsKey(cluster->dir, n.name));
    n.argv.push_back("--ssl_ca_location=" + files->ca_file);
    if (!n.kafka_address.empty()) n.argv.push_back("--kafka_security_protocol=SSL");
  }
  return UseClusterTls(*cluster);
}

}  // namespace

int ClusterUp(const GlobalOptions& g, const LocalClusterOptions& o, const char* argv0) {
  const std::string what = "cluster up";
  if (o.controllers_count < 1) return Fail(what, "--controllers-count must be >= 1", 2);
  if (o.brokers_count < 0) return Fail(what, "--brokers-count must be >= 0", 2);
  if (o.base_port < 1024 || o.base_port + 600 > 65535) {
    return Fail(what, "--base-port must be in 1024..64935 (nodes use base..base+599)", 2);
  }
  const std::string dir = AbsoluteDir(o.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Fail(what, "cannot create " + dir + ": " + ec.message());

  LocalCluster existing;
  std::string error;
  bool have_existing = fs::exists(dir + "/cluster.json");
  if (have_existing && !LoadLocalCluster(dir, &existing, &error)) return Fail(what, error);

  std::string controller_bin = FindBinary("keel-controller", "controller", o.bin_dir, argv0);
  if (controller_bin.empty()) {
    return Fail(what, "cannot find keel-controller (build it with `bazel build //controller:"
                      "keel-controller`, or pass --bin-dir)");
  }
  std::string broker_bin;
  if (o.brokers_count > 0) {
    broker_bin = FindBinary("keel-broker", "broker", o.bin_dir, argv0);
    if (broker_bin.empty()) {
      return Fail(what, "cannot find keel-broker (build it with `bazel build //broker:"
                        "keel-broker`, or pass --bin-dir)");
    }
  }
  const std::string cluster_id = have_existing ? existing.cluster_id : NewClusterId();
  LocalCluster cluster = Layout(o, dir, cluster_id, controller_bin, broker_bin);
  // A cluster made with --tls stays TLS when `up` runs again without it.
  if (o.tls || !existing.tls_ca_file.empty()) {
    if (absl::Status s = SetUpLocalTls(&cluster); !s.ok()) {
      return Fail(what, "--tls: " + std::string(s.message()));
    }
  }

  // Nodes still running from an earlier `up` are kept if the layout is the same.
  for (const LocalNode& old : existing.nodes) {
    if (!Running(old)) continue;
    LocalNode* same = cluster.Find(old.name);
    if (same == nullptr || same->address != old.address) {
      return Fail(what, old.name + " (pid " + std::to_string(old.pid) +
                            ") is running with another layout; run `keelctl cluster down --dir " +
                            o.dir + "` first");
    }
    *same = old;
  }

  std::vector<const LocalNode*> started;
  for (LocalNode& n : cluster.nodes) {
    if (Running(n)) continue;
    for (const std::string& address : {n.address, n.kafka_address, n.rest_address}) {
      if (address.empty() || PortIsFree(address)) continue;
      SaveLocalCluster(cluster, &error);
      return Fail(what, "port " + address + " for " + n.name +
                            " is in use (another cluster? choose --base-port)");
    }
    fs::create_directories(n.data_dir, ec);
    n.pid = StartDetached(n.argv, n.log_file, &error);
    if (n.pid < 0) {
      SaveLocalCluster(cluster, &error);
      return Fail(what, "starting " + n.name + ": " + error);
    }
    started.push_back(&n);
    if (!g.json()) std::printf("Started %s (pid %d)\n", n.name.c_str(), n.pid);
  }
  // Written before waiting, so `cluster down` can stop whatever did start.
  if (!SaveLocalCluster(cluster, &error)) return Fail(what, error);

  std::set<int> brokers;
  for (int i = 1; i <= o.brokers_count; ++i) brokers.insert(i);
  std::string not_ready = WaitReady(cluster, started, brokers, milliseconds(o.wait_ms));
  if (!not_ready.empty()) return Fail(what, not_ready);
  if (g.json()) {
    std::cout << cluster.Json().dump(2) << "\n";
    return 0;
  }
  PrintNodes(cluster, /*with_state=*/false);
  PrintExport(cluster);
  return 0;
}

int ClusterStatus(const GlobalOptions& g, const LocalClusterOptions& o) {
  LocalCluster cluster;
  std::string error;
  if (!LoadLocalCluster(o.dir, &cluster, &error)) return Fail("cluster status", error);
  if (absl::Status s = UseClusterTls(cluster); !s.ok()) {
    return Fail("cluster status", std::string(s.message()));
  }
  if (g.json()) {
    nlohmann::json j = cluster.Json();
    for (size_t i = 0; i < cluster.nodes.size(); ++i) {
      bool running = Running(cluster.nodes[i]);
      j["Nodes"][i]["State"] = running ? "running" : "stopped";
      j["Nodes"][i]["Health"] =
          running ? CheckHealth(cluster.nodes[i].address, milliseconds(1000)) : "-";
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  PrintNodes(cluster, /*with_state=*/true);
  PrintExport(cluster);
  return 0;
}

int ClusterDown(const GlobalOptions& g, const LocalClusterOptions& o) {
  const std::string what = "cluster down";
  LocalCluster cluster;
  std::string error;
  if (!LoadLocalCluster(o.dir, &cluster, &error)) return Fail(what, error);
  nlohmann::json stopped = nlohmann::json::array();
  std::vector<std::string> survivors;
  // Brokers first, while the controllers can still take their controlled shutdown.
  for (const std::string role : {"broker", "controller"}) {
    std::vector<LocalNode*> group;
    for (LocalNode& n : cluster.nodes) {
      if (n.role == role && Running(n)) group.push_back(&n);
    }
    for (LocalNode* n : group) ::kill(n->pid, SIGTERM);
    std::map<std::string, std::string> signal_used;
    auto wait_gone = [&](milliseconds limit) {
      auto deadline = steady_clock::now() + limit;
      while (steady_clock::now() < deadline) {
        bool any = false;
        for (LocalNode* n : group) any = any || Running(*n);
        if (!any) return;
        std::this_thread::sleep_for(milliseconds(50));
      }
    };
    wait_gone(milliseconds(o.grace_ms));
    for (LocalNode* n : group) {
      signal_used[n->name] = "SIGTERM";
      if (Running(*n)) {
        ::kill(n->pid, SIGKILL);
        signal_used[n->name] = "SIGKILL";
      }
    }
    wait_gone(milliseconds(5000));
    for (LocalNode* n : group) {
      if (Running(*n)) {
        survivors.push_back(n->name + " (pid " + std::to_string(n->pid) + ")");
        continue;
      }
      stopped.push_back({{"Name", n->name}, {"Pid", n->pid}, {"Signal", signal_used[n->name]}});
      if (!g.json()) {
        std::printf("Stopped %s (pid %d, %s)\n", n->name.c_str(), n->pid,
                    signal_used[n->name].c_str());
      }
    }
  }
  if (g.json()) {
    std::cout << nlohmann::json{{"Stopped", stopped}, {"Dir", cluster.dir}}.dump(2) << "\n";
  } else if (stopped.empty() && survivors.empty()) {
    std::printf("Nothing running from %s.\n", cluster.dir.c_str());
  }
  if (!survivors.empty()) return Fail(what, "still running: " + absl::StrJoin(survivors, ", "));
  return 0;
}

namespace {

int FindNode(const std::string& what, const LocalClusterOptions& o, LocalCluster* cluster,
             LocalNode** node) {
  std::string error;
  if (!LoadLocalCluster(o.dir, cluster, &error)) return Fail(what, error);
  *node = cluster->Find(o.node);
  if (*node == nullptr) {
    std::vector<std::string> names;
    for (const auto& n : cluster->nodes) names.push_back(n.name);
    return Fail(what, "no node '" + o.node + "' (nodes: " + absl::StrJoin(names, ", ") + ")", 2);
  }
  return 0;
}

}  // namespace

int ClusterLogs(const GlobalOptions& g, const LocalClusterOptions& o) {
  LocalCluster cluster;
  LocalNode* node = nullptr;
  if (int rc = FindNode("cluster logs", o, &cluster, &node); rc != 0) return rc;
  if (!fs::exists(node->log_file)) {
    return Fail("cluster logs", node->log_file + " does not exist (never started?)");
  }
  std::string text = ReadTail(node->log_file, o.tail_lines);
  if (g.json()) {
    std::cout << nlohmann::json{{"Name", node->name}, {"LogFile", node->log_file}, {"Log", text}}
                     .dump(2)
              << "\n";
  } else {
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  return 0;
}

int ClusterRestartNode(const GlobalOptions& g, const LocalClusterOptions& o, const char*) {
  const std::string what = "cluster restart-node " + o.node;
  LocalCluster cluster;
  LocalNode* node = nullptr;
  if (int rc = FindNode(what, o, &cluster, &node); rc != 0) return rc;
  if (Running(*node)) {
    return Fail(what, "already running as pid " + std::to_string(node->pid) +
                          " (stop it first, e.g. kill " + std::to_string(node->pid) + ")");
  }
  if (node->argv.empty()) return Fail(what, "cluster.json has no Argv for it");
  if (absl::Status s = UseClusterTls(cluster); !s.ok()) return Fail(what, std::string(s.message()));
  if (!PortIsFree(node->address)) return Fail(what, "port " + node->address + " is in use");
  std::string error;
  node->pid = StartDetached(node->argv, node->log_file, &error);
  if (node->pid < 0) return Fail(what, error);
  if (!SaveLocalCluster(cluster, &error)) return Fail(what, error);
  std::set<int> brokers;
  if (node->role == "broker") brokers.insert(node->id);
  auto deadline = steady_clock::now() + milliseconds(o.wait_ms);
  std::string not_ready = WaitReady(cluster, {node}, brokers, milliseconds(o.wait_ms));
  if (!not_ready.empty()) return Fail(what, not_ready);
  // A controller is back once it knows the leader again (its health turns SERVING).
  while (node->role == "controller" && CheckHealth(node->address, milliseconds(500)) != "SERVING") {
    if (steady_clock::now() >= deadline) {
      return Fail(what, "timed out waiting for it to rejoin the quorum (" + node->log_file + ")");
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  if (g.json()) {
    std::cout << cluster.Json()["Nodes"][static_cast<size_t>(node - cluster.nodes.data())].dump(2)
              << "\n";
  } else {
    std::printf("Started %s (pid %d)\n", node->name.c_str(), node->pid);
  }
  return 0;
}

}  // namespace keel::keelctl
