#include "tests/bench/cluster_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "tests/integration/process.h"

namespace keel::bench {
namespace {

constexpr int kMaxChildren = 256;
pid_t g_children[kMaxChildren];
volatile sig_atomic_t g_child_count = 0;

void KillChildrenAndExit(int signal_number) {
  for (int i = 0; i < g_child_count; ++i) ::kill(g_children[i], SIGKILL);
  ::_exit(128 + signal_number);
}

std::vector<pid_t> Children() {
  std::vector<pid_t> out;
  const pid_t self = ::getpid();
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == self) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

int64_t StatusField(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoll(line.substr(field.size() + 1)) * 1024;  // "VmRSS:   1234 kB"
    }
  }
  return 0;
}

}  // namespace

bool UseRunfiles(const char* argv0) {
  std::string runfiles;
  if (const char* dir = std::getenv("RUNFILES_DIR"); dir != nullptr) runfiles = dir;
  if (runfiles.empty()) {
    const std::string cwd = std::filesystem::current_path().string();
    const size_t at = cwd.find(".runfiles/");
    if (at != std::string::npos) runfiles = cwd.substr(0, at + std::string(".runfiles").size());
  }
  if (runfiles.empty()) runfiles = std::string(argv0) + ".runfiles";
  ::setenv("TEST_SRCDIR", runfiles.c_str(), 1);
  ::setenv("TEST_WORKSPACE", "keel", 1);
  return std::filesystem::exists(testing::RunfilePath("broker/keel-broker")) &&
         std::filesystem::exists(testing::RunfilePath("controller/keel-controller"));
}

std::string MakeScratch(const std::string& parent) {
  std::string root = parent + "/keel-bench-XXXXXX";
  if (::mkdtemp(root.data()) == nullptr) return "";
  ::setenv("TEST_TMPDIR", root.c_str(), 1);
  struct sigaction action {};
  action.sa_handler = KillChildrenAndExit;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return root;
}

void RememberChildren() {
  std::vector<pid_t> children = Children();
  int count = 0;
  for (pid_t pid : children) {
    if (count < kMaxChildren) g_children[count++] = pid;
  }
  g_child_count = count;
}

pid_t FindChild(const std::vector<std::string>& needles) {
  for (pid_t pid : Children()) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    cmdline += ' ';
    bool all = true;
    for (const std::string& n : needles) all = all && cmdline.find(n) != std::string::npos;
    if (all) return pid;
  }
  return -1;
}

int64_t RssBytes(pid_t pid) { return StatusField(pid, "VmRSS"); }
int64_t PeakRssBytes(pid_t pid) { return StatusField(pid, "VmHWM"); }

LatencySummary Summarize(std::vector<double> v) {
  LatencySummary s;
  s.count = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
  };
  s.p50_ms = at(0.50);
  s.p99_ms = at(0.99);
  s.max_ms = v.back();
  s.mean_ms = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

FsyncRate MeasureFsync(const std::string& dir, double seconds) {
  FsyncRate rate;
  const std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    rate.error = "cannot open " + path;
    return rate;
  }
  std::string block(4096, 'k');
  std::vector<double> latencies;
  const auto start = std::chrono::steady_clock::now();
  int64_t n = 0;
  while (MillisecondsSince(start) < seconds * 1000) {
    const auto t = std::chrono::steady_clock::now();
    // Append, as a log does: each sync also has to persist the file's new size.
    if (::pwrite(fd, block.data(), block.size(), n * 4096) != 4096 || ::fdatasync(fd) != 0) {
      rate.error = "write or fdatasync failed";
      break;
    }
    latencies.push_back(MillisecondsSince(t));
    ++n;
  }
  const double elapsed_s = MillisecondsSince(start) / 1000;
  ::close(fd);
  ::unlink(path.c_str());
  rate.per_second = static_cast<double>(n) / elapsed_s;
  rate.latency = Summarize(std::move(latencies));
  return rate;
}

int RunEtcdScript(const std::string& script, const std::vector<std::string>& args,
                  const std::vector<std::string>& env, std::string* output) {
  std::string command = "env";
  for (const std::string& e : env) command += " '" + e + "'";
  command += " bash '" + script + "'";
  for (const std::string& a : args) command += " '" + a + "'";
  command += " 2>&1";
  std::fflush(stdout);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::string out;
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) {
    std::fputs(buffer, stdout);
    std::fflush(stdout);
    out += buffer;
  }
  int status = ::pclose(pipe);
  if (output != nullptr) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string DefaultEtcdScript() {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  std::string base = workspace != nullptr ? workspace : std::filesystem::current_path().string();
  std::string path = base + "/../shared/peers/etcd.sh";
  if (!std::filesystem::exists(path)) return "";
  return std::filesystem::weakly_canonical(path).string();
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string Now() {
  std::time_t t = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buffer;
}

}  // namespace keel::bench
