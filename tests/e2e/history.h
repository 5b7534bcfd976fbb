// The record of every client operation of an end-to-end run: what was asked, when it was
// invoked and completed, and how it ended. Checkers read it after the run.
//
// Thread-safe: clients call Invoke/Complete from their own threads; Snapshot copies.
#ifndef KEEL_TESTS_E2E_HISTORY_H_
#define KEEL_TESTS_E2E_HISTORY_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace keel::e2e {

enum class OpType { kCreate, kDelete, kList, kProduce, kFetch };

// kOk: acknowledged. kFail: definitely did not take effect (the server said so before acting).
// kUnknown: may or may not have taken effect (timeout, lost connection, ambiguous error).
enum class Outcome { kPending, kOk, kFail, kUnknown };

const char* OpTypeName(OpType type);
const char* OutcomeName(Outcome outcome);

struct Operation {
  int64_t id = -1;
  int client = -1;
  OpType type = OpType::kList;
  // Topic name (metadata ops) or "<topic>-<partition>" (produce, fetch).
  std::string key;
  // Produce: the values sent. List: the names returned. Fetch: the values read.
  std::vector<std::string> values;
  // Produce: base offset assigned (-1 if none). Fetch: the offset fetched from.
  int64_t offset = -1;
  // Nanoseconds since the history started; complete_ns is -1 while pending.
  int64_t invoke_ns = 0;
  int64_t complete_ns = -1;
  Outcome outcome = Outcome::kPending;
  std::string error;  // the server's error name and message, or the transport error
};

class History {
 public:
  History() : start_(std::chrono::steady_clock::now()) {}

  // Records the invocation; returns the operation id to pass to Complete.
  int64_t Invoke(int client, OpType type, const std::string& key,
                 std::vector<std::string> values = {});
  void Complete(int64_t id, Outcome outcome, std::string error = "",
                std::vector<std::string> values = {}, int64_t offset = -1);
  // For results whose values are known only at completion but were sent at invocation
  // (produce), Complete keeps the invoked values when `values` is empty.

  std::vector<Operation> Snapshot() const;
  int64_t NowNs() const;

  // "create: 120 ok, 30 fail, 4 unknown; ..." over the completed operations.
  std::string Summary() const;
  // Counts by (type, outcome).
  std::map<std::pair<OpType, Outcome>, int64_t> Counts() const;

 private:
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mu_;
  std::vector<Operation> ops_;  // guarded by mu_; index == id
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_HISTORY_H_
