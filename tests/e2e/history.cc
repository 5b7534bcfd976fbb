#include "tests/e2e/history.h"

#include <sstream>

namespace keel::e2e {

const char* OpTypeName(OpType type) {
  switch (type) {
    case OpType::kCreate: return "create";
    case OpType::kDelete: return "delete";
    case OpType::kList: return "list";
    case OpType::kProduce: return "produce";
    case OpType::kFetch: return "fetch";
  }
  return "?";
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kPending: return "pending";
    case Outcome::kOk: return "ok";
    case Outcome::kFail: return "fail";
    case Outcome::kUnknown: return "unknown";
  }
  return "?";
}

int64_t History::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              start_)
      .count();
}

int64_t History::Invoke(int client, OpType type, const std::string& key,
                        std::vector<std::string> values) {
  Operation op;
  op.client = client;
  op.type = type;
  op.key = key;
  op.values = std::move(values);
  std::lock_guard<std::mutex> lock(mu_);
  op.invoke_ns = NowNs();
  op.id = static_cast<int64_t>(ops_.size());
  ops_.push_back(std::move(op));
  return ops_.back().id;
}

void History::Complete(int64_t id, Outcome outcome, std::string error,
                       std::vector<std::string> values, int64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  Operation& op = ops_.at(static_cast<size_t>(id));
  op.complete_ns = NowNs();
  op.outcome = outcome;
  op.error = std::move(error);
  if (!values.empty() || op.type == OpType::kList || op.type == OpType::kFetch) {
    op.values = std::move(values);
  }
  op.offset = offset;
}

std::vector<Operation> History::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_;
}

std::map<std::pair<OpType, Outcome>, int64_t> History::Counts() const {
  std::map<std::pair<OpType, Outcome>, int64_t> counts;
  std::lock_guard<std::mutex> lock(mu_);
  for (const Operation& op : ops_) ++counts[{op.type, op.outcome}];
  return counts;
}

std::string History::Summary() const {
  auto counts = Counts();
  std::ostringstream out;
  for (OpType type : {OpType::kCreate, OpType::kDelete, OpType::kList, OpType::kProduce,
                      OpType::kFetch}) {
    out << OpTypeName(type) << ":";
    for (Outcome o : {Outcome::kOk, Outcome::kFail, Outcome::kUnknown, Outcome::kPending}) {
      auto it = counts.find({type, o});
      if (it != counts.end()) out << " " << it->second << " " << OutcomeName(o);
    }
    out << "; ";
  }
  return out.str();
}

}  // namespace keel::e2e
