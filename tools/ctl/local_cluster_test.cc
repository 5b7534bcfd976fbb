#include "tools/ctl/local_cluster.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include <gtest/gtest.h>

namespace keel::keelctl {
namespace {

std::string TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp ? tmp : "/tmp") + "/" + name + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(LocalCluster, ClusterJsonRoundTrips) {
  LocalCluster c;
  c.dir = TempDir("roundtrip");
  c.cluster_id = NewClusterId();
  LocalNode n;
  n.name = "controller-1";
  n.role = "controller";
  n.id = 1;
  n.address = "127.0.0.1:1";
  n.pid = 42;
  n.argv = {"/bin/true", "--x=1"};
  c.nodes.push_back(n);
  std::string error;
  ASSERT_TRUE(SaveLocalCluster(c, &error)) << error;
  LocalCluster loaded;
  ASSERT_TRUE(LoadLocalCluster(c.dir, &loaded, &error)) << error;
  EXPECT_EQ(loaded.Json(), c.Json());
  EXPECT_EQ(loaded.ControllerAddresses(), "127.0.0.1:1");
  EXPECT_EQ(loaded.BrokerAddresses(), "");
}

TEST(LocalCluster, TlsFilesRoundTripAndPlaintextHasNone) {
  LocalCluster c;
  c.dir = TempDir("tls");
  c.cluster_id = NewClusterId();
  std::string error;
  ASSERT_TRUE(SaveLocalCluster(c, &error)) << error;
  EXPECT_FALSE(c.Json().contains("TlsCaFile"));  // a plaintext cluster.json is unchanged
  c.tls_ca_file = c.dir + "/tls/ca.crt";
  c.tls_admin_cert = c.dir + "/tls/admin.crt";
  c.tls_admin_key = c.dir + "/tls/admin.key";
  ASSERT_TRUE(SaveLocalCluster(c, &error)) << error;
  LocalCluster loaded;
  ASSERT_TRUE(LoadLocalCluster(c.dir, &loaded, &error)) << error;
  EXPECT_EQ(loaded.Json()["TlsCaFile"], c.dir + "/tls/ca.crt");
  EXPECT_EQ(loaded.tls_admin_cert, c.tls_admin_cert);
  EXPECT_EQ(loaded.tls_admin_key, c.tls_admin_key);
}

TEST(LocalCluster, MissingFileIsAnError) {
  LocalCluster c;
  std::string error;
  EXPECT_FALSE(LoadLocalCluster(TempDir("missing"), &c, &error));
  EXPECT_NE(error.find("cluster.json"), std::string::npos);
}

TEST(LocalCluster, ClusterIdsAre22UrlSafeCharactersAndDiffer) {
  std::string a = NewClusterId(), b = NewClusterId();
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
}

TEST(LocalCluster, StartsDetachedAndTellsOurProcessFromAReusedPid) {
  std::string dir = TempDir("detached");
  std::string error;
  pid_t pid = StartDetached({"/bin/sleep", "30"}, dir + "/sleep.log", &error);
  ASSERT_GT(pid, 0) << error;
  EXPECT_TRUE(IsRunning(pid, "/bin/sleep"));
  EXPECT_FALSE(IsRunning(pid, "/bin/other"));  // same pid, another program: not ours
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && IsRunning(pid, "/bin/sleep"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(IsRunning(pid, "/bin/sleep"));
}

// A child of ours whose cmdline has no argv[0] (as while it exits or finishes its exec) is
// still ours and running; `exec -a ''` holds that state still for the test.
TEST(LocalCluster, AChildWithAnEmptyCmdlineIsRunning) {
  std::string dir = TempDir("emptyargv");
  std::string error;
  pid_t pid = StartDetached({"/bin/bash", "-c", "exec -a '' /bin/sleep 30"}, dir + "/sleep.log",
                            &error);
  ASSERT_GT(pid, 0) << error;
  std::string cmdline;
  for (int i = 0; i < 500; ++i) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (cmdline == std::string("\0" "30\0", 4)) break;  // sleep runs with argv[0] ""
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const bool empty_argv0 = cmdline == std::string("\0" "30\0", 4);
  if (!empty_argv0) ::kill(pid, SIGKILL);
  ASSERT_TRUE(empty_argv0) << "cmdline of size " << cmdline.size();
  EXPECT_TRUE(IsRunning(pid, "/bin/bash"));
  ::kill(pid, SIGKILL);
  for (int i = 0; i < 100 && IsRunning(pid, "/bin/bash"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_FALSE(IsRunning(pid, "/bin/bash"));
  EXPECT_EQ(ReapIfExited(pid), 128 + SIGKILL);
}

// Someone else's live process with no argv[0] (here a grandchild, not exiting) is not ours:
// a pid reused by a kernel thread looks like that.
TEST(LocalCluster, AnotherProcessWithAnEmptyCmdlineIsNotOurs) {
  std::string dir = TempDir("grandchild");
  std::string error;
  pid_t shell = StartDetached({"/bin/bash", "-c", "exec -a '' /bin/sleep 30 & echo $!"},
                              dir + "/out.log", &error);
  ASSERT_GT(shell, 0) << error;
  pid_t grandchild = 0;
  for (int i = 0; i < 500 && grandchild <= 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in(dir + "/out.log");
    std::string line;
    if (std::getline(in, line) && !line.empty()) grandchild = std::atoi(line.c_str());
  }
  ASSERT_GT(grandchild, 0);
  std::string cmdline;
  for (int i = 0; i < 500 && cmdline != std::string("\0" "30\0", 4); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream in("/proc/" + std::to_string(grandchild) + "/cmdline");
    cmdline.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const bool not_ours = !IsRunning(grandchild, "/bin/sleep");
  ::kill(grandchild, SIGKILL);
  EXPECT_EQ(cmdline, std::string("\0" "30\0", 4));
  EXPECT_TRUE(not_ours);
}

// `cluster up` asks IsRunning first and ReapIfExited after: a child that IsRunning reaped
// must still report its exit code, and one caught mid-exit is not "gone" before it has one.
TEST(LocalCluster, ExitCodeSurvivesIsRunningReapingTheChild) {
  std::string dir = TempDir("exitcode");
  std::string error;
  pid_t pid = StartDetached({"/bin/sh", "-c", "exit 3"}, dir + "/sh.log", &error);
  ASSERT_GT(pid, 0) << error;
  for (int i = 0; i < 500 && IsRunning(pid, "/bin/sh"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(IsRunning(pid, "/bin/sh"));
  EXPECT_EQ(ReapIfExited(pid), 3);
  EXPECT_EQ(ReapIfExited(pid), 3);  // asked again: still known
}

TEST(LocalCluster, ReadTailKeepsTheLastLines) {
  std::string path = TempDir("tail") + "/log";
  std::ofstream(path) << "a\nb\nc\n";
  EXPECT_EQ(ReadTail(path, -1), "a\nb\nc\n");
  EXPECT_EQ(ReadTail(path, 2), "b\nc\n");
  EXPECT_EQ(ReadTail(path, 5), "a\nb\nc\n");
  EXPECT_EQ(ReadTail(path, 0), "");
}

TEST(LocalCluster, PortIsFreeSeesAListener) {
  EXPECT_TRUE(PortIsFree("127.0.0.1:0"));
}

}  // namespace
}  // namespace keel::keelctl
