#include "tests/integration/keelctl_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "common/process.h"
#include "tests/integration/process.h"

namespace keel::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool PortFree(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

const nlohmann::json& CtlResult::Json() const {
  if (!parsed_done_) {
    parsed_ = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    if (parsed_.is_discarded()) parsed_ = nullptr;
    parsed_done_ = true;
  }
  return parsed_;
}

std::string CtlResult::Describe() const {
  return "exit " + std::to_string(code) +
         (signal != 0 ? " (ended by signal " + std::to_string(signal) + ")" : "") + " after " +
         std::to_string(elapsed.count()) +
         " ms; stderr: " + err + "; stdout: " + out;
}

CtlResult RunKeelctl(const std::vector<std::string>& args, const CtlOptions& options) {
  std::string dir = MakeTempDir("keelctl-run");
  std::string out_path = dir + "/stdout", err_path = dir + "/stderr", in_path = dir + "/stdin";
  std::ofstream(in_path) << options.stdin_text;
  std::vector<std::string> argv = {RunfilePath("tools/keelctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  common::SpawnOptions spawn;
  spawn.stdin_path = in_path;
  spawn.stdout_path = out_path;
  spawn.stderr_path = err_path;
  spawn.truncate_output = true;
  spawn.unset_env = {"KEEL_CONTROLLERS", "KEEL_BROKERS"};
  for (const auto& [k, v] : options.env) spawn.set_env[k] = v;
  auto start = std::chrono::steady_clock::now();
  CtlResult result;
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv, spawn);
  if (!pid.ok()) {
    result.err = pid.status().ToString();
    return result;
  }
  auto deadline = start + options.timeout;
  std::optional<common::ExitStatus> ended;
  while (std::chrono::steady_clock::now() < deadline) {
    ended = common::TryReap(*pid);
    if (ended.has_value()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!ended.has_value()) {
    common::KillAndReap(*pid);
  } else {
    result.code = ended->code;
    result.signal = ended->signal;
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  return result;
}

bool PidGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() || text[paren + 2] == 'Z' ||
         text[paren + 2] == 'X';
}

int PickFreeBasePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int base = PickFreePort();
    if (base <= 0 || base + 400 > 65535) continue;
    bool all_free = true;
    for (int offset : {0, 100, 200, 300}) {
      for (int i = 0; i < 3 && all_free; ++i) all_free = PortFree(base + offset + i);
    }
    if (all_free) return base;
  }
  return -1;
}

}  // namespace keel::testing
