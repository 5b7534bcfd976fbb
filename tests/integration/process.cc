#include "tests/integration/process.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "common/process.h"

namespace keel::testing {

Process::~Process() { Kill(); }

bool Process::Start(const std::vector<std::string>& argv, const std::string& log_path) {
  Kill();
  log_path_ = log_path;
  exit_code_ = -1;
  common::SpawnOptions options;
  options.stdout_path = log_path;
  // Die with the test runner even if it is killed (a Bazel timeout) before it can clean up.
  // The signal comes when the forking thread exits: tests start servers from their main
  // thread.
  options.die_with_parent = true;
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv, options);
  if (!pid.ok()) return false;
  pid_ = *pid;
  return true;
}

bool Process::running() {
  if (pid_ <= 0) return false;
  std::optional<common::ExitStatus> ended = common::TryReap(pid_);
  if (!ended.has_value()) return true;
  exit_code_ = ended->code;
  pid_ = -1;
  return false;
}

void Process::Kill() {
  if (pid_ <= 0) return;
  common::KillAndReap(pid_);
  pid_ = -1;
}

int Process::WaitExit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return running() ? -1 : exit_code_;
}

int Process::Terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return exit_code_;
  ::kill(pid_, SIGTERM);
  int code = WaitExit(grace);
  if (running()) {
    Kill();
    return -1;
  }
  return code;
}

std::string Process::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = all.substr(all.size() - max_bytes);
  return all;
}

int PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

int RunCommand(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout) {
  std::string log = MakeTempDir("cmd") + "/out.txt";
  Process p;
  if (!p.Start(argv, log)) return -1;
  int code = p.WaitExit(timeout);
  if (p.running()) p.Kill();
  if (output != nullptr) {
    std::ifstream in(log);
    output->assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return code;
}

std::string RunfilePath(const std::string& relative) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir != nullptr && workspace != nullptr) {
    return std::string(srcdir) + "/" + workspace + "/" + relative;
  }
  return std::filesystem::absolute("bazel-bin/" + relative).string();
}

std::string MakeTempDir(const std::string& name) {
  static int counter = 0;
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name + "-" +
                    std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace keel::testing
