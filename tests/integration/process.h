// Child processes for integration tests: started with common::SpawnProcess, stopped by pid.
//
// Every process a test starts is killed (SIGKILL) and reaped when its Process is destroyed,
// so a failing assertion never leaves servers running. Output goes to a log file whose tail
// is printed when a test needs to explain a failure.
#ifndef KEEL_TESTS_INTEGRATION_PROCESS_H_
#define KEEL_TESTS_INTEGRATION_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace keel::testing {

class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Starts argv[0] with `args`, stdout and stderr appended to `log_path`. Returns false if
  // fork/exec failed.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path);

  bool running();
  pid_t pid() const { return pid_; }

  // SIGKILL and reap.
  void Kill();
  // SIGTERM; waits up to `grace` for a clean exit. Returns the exit code, or -1 if the
  // process had to be killed (or died by a signal).
  int Terminate(std::chrono::milliseconds grace);
  void Stop() { ::kill(pid_, SIGSTOP); }
  void Continue() { ::kill(pid_, SIGCONT); }

  // Exit code if it exited on its own (waits up to `timeout`), else -1.
  int WaitExit(std::chrono::milliseconds timeout);

  std::string LogTail(size_t max_bytes = 4000) const;
  const std::string& log_path() const { return log_path_; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int exit_code_ = -1;
};

// A loopback TCP port that was free a moment ago (bind to port 0, read it, close).
int PickFreePort();

// Runs a command to completion, capturing stdout+stderr; returns its exit code.
int RunCommand(const std::vector<std::string>& argv, std::string* output,
               std::chrono::milliseconds timeout);

// Absolute path of a binary in the test's runfiles, e.g. "controller/keel-controller".
std::string RunfilePath(const std::string& relative);

// A fresh directory under TEST_TMPDIR.
std::string MakeTempDir(const std::string& name);

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_PROCESS_H_
