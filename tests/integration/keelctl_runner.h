// Runs keelctl as a subprocess for integration tests, with stdout and stderr kept apart (so
// `--output json` can be parsed) and stdin fed from a string.
#ifndef KEEL_TESTS_INTEGRATION_KEELCTL_RUNNER_H_
#define KEEL_TESTS_INTEGRATION_KEELCTL_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace keel::testing {

struct CtlResult {
  int code = -1;  // exit code; -1 if a signal ended it or it had to be killed at the timeout
  int signal = 0;  // the signal that ended it, else 0
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
  // JSON parsed from `out` (null JSON when it is not valid JSON). A reference to a member, so
  // `for (auto& n : r.Json()["Nodes"])` does not iterate a destroyed temporary.
  const nlohmann::json& Json() const;
  // "exit 1; stderr: ...; stdout: ..." for assertion messages.
  std::string Describe() const;

 private:
  mutable nlohmann::json parsed_;
  mutable bool parsed_done_ = false;
};

struct CtlOptions {
  // KEEL_CONTROLLERS / KEEL_BROKERS are removed from keelctl's environment unless set here.
  std::map<std::string, std::string> env;
  std::string stdin_text;
  std::chrono::milliseconds timeout{45000};
};

// Runs runfiles' tools/keelctl with `args`.
CtlResult RunKeelctl(const std::vector<std::string>& args, const CtlOptions& options = {});

// True once `pid` no longer names a live process (gone, or a zombie nobody reaped yet).
bool PidGone(pid_t pid);

// A base port B such that B..B+2, B+100..B+102 (and the metrics ports +200/+300) are free:
// the layout `keelctl cluster up --base-port` uses for up to three nodes of each role.
int PickFreeBasePort();

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_KEELCTL_RUNNER_H_
