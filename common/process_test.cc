#include "common/process.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

namespace keel::common {
namespace {

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Waits (bounded) for `pid` to end and returns how.
std::optional<ExitStatus> WaitFor(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (auto ended = TryReap(pid); ended.has_value()) return ended;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

TEST(SpawnProcess, RedirectsOutputAndReportsTheExitCode) {
  const std::string out = TempPath("spawn_out.txt");
  std::filesystem::remove(out);
  SpawnOptions options;
  options.stdout_path = out;
  auto pid = SpawnProcess({"/bin/sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"}, options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  auto ended = WaitFor(*pid);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->code, 3);
  EXPECT_EQ(ended->signal, 0);
  EXPECT_EQ(ReadAll(out), "to-stdout\nto-stderr\n");
}

TEST(SpawnProcess, SeparateStderrTruncationStdinAndEnvironment) {
  const std::string in = TempPath("spawn_in.txt"), out = TempPath("spawn_out2.txt"),
                    err = TempPath("spawn_err2.txt");
  std::ofstream(in) << "from-stdin\n";
  std::ofstream(out) << "old contents\n";
  ::setenv("KEEL_PROCESS_TEST_DROP", "x", 1);
  SpawnOptions options;
  options.stdin_path = in;
  options.stdout_path = out;
  options.stderr_path = err;
  options.truncate_output = true;
  options.unset_env = {"KEEL_PROCESS_TEST_DROP"};
  options.set_env = {{"KEEL_PROCESS_TEST_SET", "y"}};
  auto pid = SpawnProcess({"/bin/sh", "-c",
                           "cat; echo \"set=$KEEL_PROCESS_TEST_SET "
                           "drop=${KEEL_PROCESS_TEST_DROP:-none}\"; echo e >&2"},
                          options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  auto ended = WaitFor(*pid);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->code, 0);
  EXPECT_EQ(ReadAll(out), "from-stdin\nset=y drop=none\n");
  EXPECT_EQ(ReadAll(err), "e\n");
}

TEST(SpawnProcess, AFailedExecIsAnErrorNotAProcess) {
  auto pid = SpawnProcess({"/nonexistent/program"}, SpawnOptions{});
  EXPECT_FALSE(pid.ok());
  EXPECT_NE(pid.status().message().find("exec /nonexistent/program"), std::string::npos)
      << pid.status();
  EXPECT_EQ(SpawnProcess({}, SpawnOptions{}).status().code(), absl::StatusCode::kInvalidArgument);
  SpawnOptions bad_log;
  bad_log.stdout_path = "/nonexistent/dir/log";
  EXPECT_FALSE(SpawnProcess({"/bin/true"}, bad_log).ok());
}

TEST(SpawnProcess, NewSessionDetachesAndKillAndReapEndsIt) {
  SpawnOptions options;
  options.new_session = true;
  auto pid = SpawnProcess({"/bin/sleep", "30"}, options);
  ASSERT_TRUE(pid.ok()) << pid.status();
  EXPECT_EQ(::getsid(*pid), *pid);  // leads its own session
  EXPECT_FALSE(TryReap(*pid).has_value());
  ::kill(*pid, SIGSTOP);  // a stopped process must still die
  ExitStatus ended = KillAndReap(*pid);
  EXPECT_EQ(ended.signal, SIGKILL);
  EXPECT_EQ(ended.ToString(), "killed by signal 9");
  EXPECT_FALSE(TryReap(*pid).has_value());  // nothing left to reap
}

}  // namespace
}  // namespace keel::common
