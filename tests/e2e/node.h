// One server process (controller or broker) of an end-to-end cluster, with its identity,
// command line, data directory and log, and the fault operations the nemesis applies.
//
// Unlike tests/integration/process.h it remembers *how* the process ended (exit code or
// signal), so a checker can tell an injected kill from a crash, and it is thread-safe: the
// nemesis, the death watcher and the driver call it concurrently.
#ifndef KEEL_TESTS_E2E_NODE_H_
#define KEEL_TESTS_E2E_NODE_H_

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

namespace keel::e2e {

struct ExitInfo {
  bool exited = false;  // false: still running (or never started)
  int code = -1;        // exit code when it exited normally
  int signal = 0;       // terminating signal, 0 if it exited normally
  std::string ToString() const;
};

class Node {
 public:
  enum class Role { kController, kBroker };

  Node(Role role, int id, std::vector<std::string> argv, std::string data_dir,
       std::string log_path);
  ~Node();  // SIGKILL and reap
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  bool Start();
  // True while the process lives (a SIGSTOPped process lives). Reaps it if it ended and
  // remembers how (see last_exit).
  bool Running();
  void Kill();      // SIGCONT + SIGKILL, reaped
  void Pause();     // SIGSTOP
  void Resume();    // SIGCONT
  // SIGTERM (after SIGCONT), then waits up to `grace`; SIGKILLs it after that. Returns how it
  // ended; `timed_out` tells whether the SIGKILL was needed.
  ExitInfo Terminate(std::chrono::milliseconds grace, bool* timed_out);
  ExitInfo last_exit();

  Role role() const { return role_; }
  int id() const { return id_; }
  const std::string& name() const { return name_; }  // "c1", "b3"
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  std::string LogTail(size_t max_bytes = 3000) const;

 private:
  bool RunningLocked();
  void KillLocked();

  const Role role_;
  const int id_;
  const std::string name_;
  const std::vector<std::string> argv_;
  const std::string data_dir_;
  const std::string log_path_;
  std::mutex mu_;
  pid_t pid_ = -1;      // guarded by mu_
  ExitInfo last_exit_;  // guarded by mu_
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_NODE_H_
