#include "tests/integration/keelctl_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

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
  return "exit " + std::to_string(code) + " after " + std::to_string(elapsed.count()) +
         " ms; stderr: " + err + "; stdout: " + out;
}

CtlResult RunKeelctl(const std::vector<std::string>& args, const CtlOptions& options) {
  std::string dir = MakeTempDir("keelctl-run");
  std::string out_path = dir + "/stdout", err_path = dir + "/stderr", in_path = dir + "/stdin";
  std::ofstream(in_path) << options.stdin_text;
  std::vector<std::string> argv = {RunfilePath("tools/keelctl")};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargs;
  for (const std::string& a : argv) cargs.push_back(const_cast<char*>(a.c_str()));
  cargs.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    int in = ::open(in_path.c_str(), O_RDONLY);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::unsetenv("KEEL_CONTROLLERS");
    ::unsetenv("KEEL_BROKERS");
    for (const auto& [k, v] : options.env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  CtlResult result;
  auto deadline = start + options.timeout;
  int status = 0;
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else if (WIFEXITED(status)) {
    result.code = WEXITSTATUS(status);
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
