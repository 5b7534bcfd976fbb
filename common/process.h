// Starting child processes: the one fork/exec in the tree, used by keelctl's local cluster,
// the integration tests' Process, the end-to-end tests' Node and the keelctl test runner.
//
// The child does only async-signal-safe work between fork and exec (the parent may have
// threads): files are opened and the environment built before the fork. The call returns once
// the child runs the new program, or with the errno of a failed exec, reported through a
// close-on-exec pipe, so a pid it returns is never a stray copy of the caller.
#ifndef KEEL_COMMON_PROCESS_H_
#define KEEL_COMMON_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace keel::common {

struct SpawnOptions {
  // stdin read from this file; "" inherits the caller's.
  std::string stdin_path;
  // stdout appended to this file (created 0644); "" inherits. With truncate_output the file
  // is emptied first.
  std::string stdout_path;
  // stderr likewise; "" sends it where stdout goes.
  std::string stderr_path;
  bool truncate_output = false;
  // When >= 0, stdout and stderr both go to this descriptor (a pipe's write end), and the
  // paths above are ignored.
  int output_fd = -1;
  // Its own session (setsid), stdin /dev/null unless stdin_path says otherwise, and every
  // other descriptor closed: it outlives the caller and ignores the terminal's Ctrl-C.
  bool new_session = false;
  // SIGKILL when the thread that forked it exits (PR_SET_PDEATHSIG): a test runner killed by
  // a timeout takes its servers with it.
  bool die_with_parent = false;
  // Environment changes applied to a copy of the caller's: removed first, then set.
  std::vector<std::string> unset_env;
  std::map<std::string, std::string> set_env;
};

// Starts argv[0] (a path; $PATH is not searched) with `argv`. Errors: InvalidArgument for an
// empty argv, the errno of opening a redirection file, fork or exec.
absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options);

// How a child ended.
struct ExitStatus {
  int code = -1;   // exit code when it exited normally, else -1
  int signal = 0;  // the signal that ended it, else 0
  std::string ToString() const;
};

// Reaps `pid` if it has ended (never blocks). nullopt while it runs, and also when `pid` is no
// child of this process (never was, or was reaped already): there is nothing to reap.
std::optional<ExitStatus> TryReap(pid_t pid);

// SIGCONT (a stopped process must be able to die), SIGKILL, and reap.
ExitStatus KillAndReap(pid_t pid);

}  // namespace keel::common

#endif  // KEEL_COMMON_PROCESS_H_
