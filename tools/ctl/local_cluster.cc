#include "tools/ctl/local_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "common/process.h"
#include "storage/env.h"

namespace keel::keelctl {
namespace fs = std::filesystem;

std::string LocalCluster::ControllerAddresses() const {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    if (n.role == "controller") out.push_back(n.address);
  }
  return absl::StrJoin(out, ",");
}

std::string LocalCluster::BrokerAddresses() const {
  std::vector<std::string> out;
  for (const auto& n : nodes) {
    if (n.role == "broker") out.push_back(n.address);
  }
  return absl::StrJoin(out, ",");
}

std::string LocalCluster::KafkaAddresses() const {
  std::string out;
  for (const auto& n : nodes) {
    if (n.kafka_address.empty()) continue;
    if (!out.empty()) out += ",";
    out += n.kafka_address;
  }
  return out;
}

LocalNode* LocalCluster::Find(const std::string& name) {
  for (auto& n : nodes) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

nlohmann::json LocalCluster::Json() const {
  nlohmann::json nodes_json = nlohmann::json::array();
  for (const auto& n : nodes) {
    nodes_json.push_back({{"Name", n.name},
                          {"Role", n.role},
                          {"Id", n.id},
                          {"Address", n.address},
                          {"MetricsAddress", n.metrics_address},
                          {"Pid", n.pid},
                          {"DataDir", n.data_dir},
                          {"LogFile", n.log_file},
                          {"Argv", n.argv}});
    if (!n.kafka_address.empty()) nodes_json.back()["KafkaAddress"] = n.kafka_address;
    if (!n.rest_address.empty()) nodes_json.back()["RestAddress"] = n.rest_address;
  }
  nlohmann::json j = {{"ClusterId", cluster_id},
                      {"Dir", dir},
                      {"Controllers", ControllerAddresses()},
                      {"Brokers", BrokerAddresses()},
                      {"KafkaBrokers", KafkaAddresses()},
                      {"Nodes", nodes_json}};
  if (!tls_ca_file.empty()) {
    j["TlsCaFile"] = tls_ca_file;
    j["TlsAdminCertFile"] = tls_admin_cert;
    j["TlsAdminKeyFile"] = tls_admin_key;
  }
  return j;
}

bool LoadLocalCluster(const std::string& dir, LocalCluster* cluster, std::string* error) {
  std::string path = fs::absolute(dir).lexically_normal().string() + "/cluster.json";
  std::ifstream in(path);
  if (!in) {
    *error = "no cluster in " + dir + " (" + path + " not found; start one with keelctl cluster up)";
    return false;
  }
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    *error = path + " is not valid JSON";
    return false;
  }
  cluster->cluster_id = j.value("ClusterId", "");
  cluster->tls_ca_file = j.value("TlsCaFile", "");
  cluster->tls_admin_cert = j.value("TlsAdminCertFile", "");
  cluster->tls_admin_key = j.value("TlsAdminKeyFile", "");
  cluster->dir = fs::absolute(dir).lexically_normal().string();
  cluster->nodes.clear();
  for (const auto& n : j.value("Nodes", nlohmann::json::array())) {
    LocalNode node;
    node.name = n.value("Name", "");
    node.role = n.value("Role", "");
    node.id = n.value("Id", 0);
    node.address = n.value("Address", "");
    node.metrics_address = n.value("MetricsAddress", "");
    node.kafka_address = n.value("KafkaAddress", "");
    node.rest_address = n.value("RestAddress", "");
    node.pid = n.value("Pid", 0);
    node.data_dir = n.value("DataDir", "");
    node.log_file = n.value("LogFile", "");
    node.argv = n.value("Argv", std::vector<std::string>());
    cluster->nodes.push_back(std::move(node));
  }
  if (cluster->cluster_id.empty()) {
    *error = path + " has no ClusterId";
    return false;
  }
  return true;
}

bool SaveLocalCluster(const LocalCluster& cluster, std::string* error) {
  absl::Status s = storage::WriteFileAtomically(storage::Env::Default(), cluster.FilePath(),
                                                cluster.Json().dump(2) + "\n");
  if (!s.ok()) {
    *error = "cannot write " + cluster.FilePath() + ": " + std::string(s.message());
    return false;
  }
  return true;
}

std::string NewClusterId() {
  char bytes[16] = {};
  std::ifstream random("/dev/urandom", std::ios::binary);
  random.read(bytes, sizeof(bytes));
  // Url-safe base64 without padding: 128 bits -> 22 characters.
  return absl::WebSafeBase64Escape(absl::string_view(bytes, sizeof(bytes)));
}

pid_t StartDetached(const std::vector<std::string>& argv, const std::string& log_file,
                    std::string* error) {
  common::SpawnOptions options;
  options.stdout_path = log_file;
  options.new_session = true;  // outlives keelctl, ignores the terminal's Ctrl-C
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv, options);
  if (!pid.ok()) {
    *error = std::string(pid.status().message());
    return -1;
  }
  return *pid;
}

bool IsRunning(pid_t pid, const std::string& program) {
  if (pid <= 0) return false;
  (void)ReapIfExited(pid);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  if (paren == std::string::npos || paren + 2 >= text.size()) return false;
  char state = text[paren + 2];
  if (state == 'Z' || state == 'X') return false;  // exited, not yet reaped by its parent
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string arg0;
  std::getline(cmdline, arg0, '\0');
  if (arg0 == program) return true;
  // /proc/PID/cmdline is empty while a process has no memory map: when it is exiting (after
  // the kernel drops its memory, before it becomes a zombie; stat still says R or D) and at
  // the end of exec, after SpawnProcess has returned. Such a process still holds its pid, so
  // it is still ours and running if it is an unreaped child of ours (no reused pid can be),
  // or if it is exiting (flag PF_EXITING in stat): `up` then reaps it with its exit code on
  // the next look, and `down` waits for it to be gone. Seen under load: `up` said a node
  // "exited" with no code; `down` reported a node stopped that was still exiting.
  if (!arg0.empty()) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::string state_field;
  long long ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
  unsigned long long flags = 0;
  fields >> state_field >> ppid >> pgrp >> session >> tty >> tpgid >> flags;
  constexpr unsigned long long kPfExiting = 0x4;  // PF_EXITING, linux/sched.h
  return ppid == ::getpid() || (flags & kPfExiting) != 0;
}

int ReapIfExited(pid_t pid) {
  // Exit codes of children reaped so far: whichever check reaps first, the code is kept.
  static std::map<pid_t, int> reaped;
  if (auto it = reaped.find(pid); it != reaped.end()) return it->second;
  std::optional<common::ExitStatus> ended = common::TryReap(pid);
  if (!ended.has_value()) return -1;
  int code = ended->signal != 0 ? 128 + ended->signal : ended->code;
  reaped[pid] = code;
  return code;
}

std::string CaptureOutput(const std::vector<std::string>& argv, int timeout_ms) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return "";
  common::SpawnOptions options;
  options.output_fd = fds[1];
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv, options);
  ::close(fds[1]);
  if (!pid.ok()) {
    ::close(fds[0]);
    return "";
  }
  std::string out;
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      break;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ::close(fds[0]);
  common::KillAndReap(*pid);
  return out;
}

bool PortIsFree(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos) return true;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
  if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string FindBinary(const std::string& name, const std::string& package,
                       const std::string& bin_dir, const char* argv0) {
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  auto absolute = [](const fs::path& p) { return fs::absolute(p).lexically_normal().string(); };
  std::vector<fs::path> dirs;
  if (!bin_dir.empty()) {
    dirs = {bin_dir};
  } else {
    // argv[0] as invoked (keeps Bazel's runfiles layout), then the resolved executable.
    if (argv0 != nullptr && std::string(argv0).find('/') != std::string::npos) {
      dirs.push_back(fs::path(argv0).parent_path());
    }
    std::error_code ec;
    fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back(self.parent_path());
  }
  for (const fs::path& d : dirs) {
    for (const fs::path& candidate : {d / name, d / ".." / package / name, d / package / name}) {
      if (executable(candidate)) return absolute(candidate);
    }
  }
  if (!bin_dir.empty()) return "";
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "");
  std::string entry;
  while (std::getline(ss, entry, ':')) {
    if (!entry.empty() && executable(fs::path(entry) / name)) return absolute(fs::path(entry) / name);
  }
  return "";
}

std::string ReadTail(const std::string& path, int64_t lines) {
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (lines < 0) return all;
  if (lines == 0) return "";
  std::vector<size_t> starts;  // offset of each line start
  for (size_t i = 0; i < all.size(); ++i) {
    if (i == 0 || all[i - 1] == '\n') starts.push_back(i);
  }
  if (static_cast<int64_t>(starts.size()) <= lines) return all;
  return all.substr(starts[starts.size() - static_cast<size_t>(lines)]);
}

}  // namespace keel::keelctl
