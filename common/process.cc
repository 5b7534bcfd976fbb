#include "common/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace keel::common {
namespace {

absl::Status ErrnoStatus(const std::string& what, int error) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(error)));
}

// Closes the descriptors it owns when it goes out of scope.
struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  int Add(int fd) {
    fds.push_back(fd);
    return fd;
  }
};

std::vector<std::string> ChildEnvironment(const SpawnOptions& options) {
  std::vector<std::string> env;
  std::set<std::string> drop(options.unset_env.begin(), options.unset_env.end());
  for (const auto& [name, value] : options.set_env) drop.insert(name);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    if (!drop.count(entry.substr(0, entry.find('=')))) env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : options.set_env) env.push_back(name + "=" + value);
  return env;
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) out.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

}  // namespace

absl::StatusOr<pid_t> SpawnProcess(const std::vector<std::string>& argv,
                                   const SpawnOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to start");
  Fds owned;
  int in_fd = -1, out_fd = -1, err_fd = -1;
  std::string in_path = options.stdin_path;
  if (in_path.empty() && options.new_session) in_path = "/dev/null";
  if (!in_path.empty()) {
    in_fd = owned.Add(::open(in_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (in_fd < 0) return ErrnoStatus("cannot open " + in_path, errno);
  }
  const int out_flags =
      O_WRONLY | O_CREAT | O_CLOEXEC | (options.truncate_output ? O_TRUNC : O_APPEND);
  if (options.output_fd >= 0) {
    out_fd = err_fd = options.output_fd;
  } else {
    if (!options.stdout_path.empty()) {
      out_fd = owned.Add(::open(options.stdout_path.c_str(), out_flags, 0644));
      if (out_fd < 0) return ErrnoStatus("cannot open " + options.stdout_path, errno);
    }
    err_fd = out_fd;
    if (!options.stderr_path.empty()) {
      err_fd = owned.Add(::open(options.stderr_path.c_str(), out_flags, 0644));
      if (err_fd < 0) return ErrnoStatus("cannot open " + options.stderr_path, errno);
    }
  }

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::vector<std::string> env_strings = ChildEnvironment(options);
  std::vector<char*> envp;
  for (const std::string& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // exec reports back through a close-on-exec pipe: EOF once the new program runs, or the
  // errno when exec failed.
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  owned.Add(report[0]);
  const int report_write = report[1];
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report_write);
    return ErrnoStatus("fork", err);
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    if (options.new_session) ::setsid();
    if (options.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    }
    // The files opened above are close-on-exec; dup2 clears the flag on the copies.
    if (in_fd >= 0) ::dup2(in_fd, 0);
    if (out_fd >= 0) ::dup2(out_fd, 1);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    if (options.new_session) {
      for (int fd = 3; fd < 1024; ++fd) {
        if (fd != report_write) ::close(fd);
      }
    }
    ::execve(args[0], args.data(), envp.data());
    int err = errno;
    (void)!::write(report_write, &err, sizeof(err));
    ::_exit(127);
  }
  ::close(report_write);  // the child holds the only write end now: EOF comes with its exec
  int err = 0;
  ssize_t n;
  do {
    n = ::read(report[0], &err, sizeof(err));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(err))) {
    ::waitpid(pid, nullptr, 0);
    return ErrnoStatus("exec " + argv[0], err);
  }
  return pid;
}

std::string ExitStatus::ToString() const {
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exited with code " + std::to_string(code);
}

std::optional<ExitStatus> TryReap(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) != pid) return std::nullopt;
  return FromWaitStatus(status);
}

ExitStatus KillAndReap(pid_t pid) {
  if (pid <= 0) return ExitStatus{};
  ::kill(pid, SIGCONT);
  ::kill(pid, SIGKILL);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return ExitStatus{-1, SIGKILL};
  return FromWaitStatus(status);
}

}  // namespace keel::common
