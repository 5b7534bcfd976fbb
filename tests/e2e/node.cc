#include "tests/e2e/node.h"

#include <signal.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "common/process.h"

namespace keel::e2e {

std::string ExitInfo::ToString() const {
  if (!exited) return "running";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exited with code " + std::to_string(code);
}

Node::Node(Role role, int id, std::vector<std::string> argv, std::string data_dir,
           std::string log_path)
    : role_(role),
      id_(id),
      name_((role == Role::kController ? "c" : "b") + std::to_string(id)),
      argv_(std::move(argv)),
      data_dir_(std::move(data_dir)),
      log_path_(std::move(log_path)) {}

Node::~Node() { Kill(); }

bool Node::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (RunningLocked()) return false;
  common::SpawnOptions options;
  options.stdout_path = log_path_;
  // Not die_with_parent: the nemesis restarts nodes from its own thread, and that thread's
  // exit must not kill them.
  absl::StatusOr<pid_t> pid = common::SpawnProcess(argv_, options);
  if (!pid.ok()) return false;
  pid_ = *pid;
  last_exit_ = ExitInfo{};
  return true;
}

bool Node::RunningLocked() {
  if (pid_ <= 0) return false;
  std::optional<common::ExitStatus> ended = common::TryReap(pid_);
  if (!ended.has_value()) return true;
  last_exit_.exited = true;
  last_exit_.code = ended->code;
  last_exit_.signal = ended->signal;
  pid_ = -1;
  return false;
}

bool Node::Running() {
  std::lock_guard<std::mutex> lock(mu_);
  return RunningLocked();
}

void Node::KillLocked() {
  if (!RunningLocked()) return;
  common::KillAndReap(pid_);
  last_exit_ = ExitInfo{true, -1, SIGKILL};
  pid_ = -1;
}

void Node::Kill() {
  std::lock_guard<std::mutex> lock(mu_);
  KillLocked();
}

void Node::Pause() {
  std::lock_guard<std::mutex> lock(mu_);
  if (RunningLocked()) ::kill(pid_, SIGSTOP);
}

void Node::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  if (RunningLocked()) ::kill(pid_, SIGCONT);
}

ExitInfo Node::Terminate(std::chrono::milliseconds grace, bool* timed_out) {
  *timed_out = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!RunningLocked()) return last_exit_;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!RunningLocked()) return last_exit_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!RunningLocked()) return last_exit_;
  *timed_out = true;
  KillLocked();
  return last_exit_;
}

ExitInfo Node::last_exit() {
  std::lock_guard<std::mutex> lock(mu_);
  RunningLocked();
  return last_exit_;
}

std::string Node::LogTail(size_t max_bytes) const {
  std::ifstream in(log_path_);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (all.size() > max_bytes) all = all.substr(all.size() - max_bytes);
  return all;
}

}  // namespace keel::e2e
