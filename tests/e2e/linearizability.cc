#include "tests/e2e/linearizability.h"

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <unordered_set>

#include "absl/strings/match.h"

namespace keel::e2e {
namespace {

using Kind = TopicSetOp::Kind;
using Result = TopicSetOp::Result;

// A set of small integers as a byte string, so it can be part of a cache key.
class Bits {
 public:
  explicit Bits(size_t n) : bytes_((n + 7) / 8, '\0') {}
  bool Get(size_t i) const { return (bytes_[i / 8] >> (i % 8)) & 1; }
  void Set(size_t i, bool v) {
    if (v) {
      bytes_[i / 8] = static_cast<char>(bytes_[i / 8] | (1 << (i % 8)));
    } else {
      bytes_[i / 8] = static_cast<char>(bytes_[i / 8] & ~(1 << (i % 8)));
    }
  }
  const std::string& bytes() const { return bytes_; }
  bool operator==(const Bits& o) const { return bytes_ == o.bytes_; }

 private:
  std::string bytes_;
};

// One call or return event in the doubly linked list the search walks and lifts from.
struct Entry {
  size_t op = 0;
  bool is_call = false;
  int64_t time = 0;
  Entry* match = nullptr;  // call <-> return
  Entry* prev = nullptr;
  Entry* next = nullptr;
};

void Lift(Entry* call) {
  call->prev->next = call->next;
  if (call->next != nullptr) call->next->prev = call->prev;
  Entry* ret = call->match;
  ret->prev->next = ret->next;
  if (ret->next != nullptr) ret->next->prev = ret->prev;
}

void Unlift(Entry* call) {
  Entry* ret = call->match;
  ret->prev->next = ret;
  if (ret->next != nullptr) ret->next->prev = ret;
  call->prev->next = call;
  if (call->next != nullptr) call->next->prev = call;
}

std::string Describe(const TopicSetOp& op) {
  std::ostringstream out;
  out << "#" << op.id << " ";
  switch (op.kind) {
    case Kind::kCreate: out << "create(" << op.name << ")"; break;
    case Kind::kDelete: out << "delete(" << op.name << ")"; break;
    case Kind::kList: {
      out << "list() = {";
      bool first = true;
      for (const auto& n : op.listed) {
        out << (first ? "" : ",") << n;
        first = false;
      }
      out << "}";
      break;
    }
  }
  out << " -> " << (op.result == Result::kOk ? "ok" : op.result == Result::kFail ? "fail" : "unknown");
  out << " [" << op.invoke_ns / 1000000 << " ms, ";
  if (op.result == Result::kUnknown) {
    out << "inf)";
  } else {
    out << op.complete_ns / 1000000 << " ms]";
  }
  return out.str();
}


// Plain search over one segment, starting from `initial`.
LinearizabilityResult SearchSegment(const std::vector<TopicSetOp>& ops,
                                    const std::set<std::string>& initial, int64_t max_steps) {
  LinearizabilityResult result;
  // Intern every name so a state is a bit set.
  std::map<std::string, size_t> name_ids;
  auto intern = [&](const std::string& n) {
    return name_ids.emplace(n, name_ids.size()).first->second;
  };
  std::vector<size_t> op_name(ops.size(), 0);
  for (const auto& n : initial) intern(n);
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != Kind::kList) op_name[i] = intern(ops[i].name);
    for (const auto& n : ops[i].listed) intern(n);
  }
  const size_t names = std::max<size_t>(name_ids.size(), 1);
  std::vector<Bits> listed(ops.size(), Bits(names));
  for (size_t i = 0; i < ops.size(); ++i) {
    for (const auto& n : ops[i].listed) listed[i].Set(name_ids[n], true);
  }

  // Events in time order; at equal times calls come first (the operations overlap).
  std::vector<Entry> entries(2 * ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    Entry& call = entries[2 * i];
    Entry& ret = entries[2 * i + 1];
    call.op = ret.op = i;
    call.is_call = true;
    call.time = ops[i].invoke_ns;
    ret.time = ops[i].result == Result::kUnknown ? std::numeric_limits<int64_t>::max()
                                                 : std::max(ops[i].complete_ns, ops[i].invoke_ns);
    call.match = &ret;
    ret.match = &call;
  }
  std::vector<Entry*> order;
  for (Entry& e : entries) order.push_back(&e);
  std::stable_sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
    if (a->time != b->time) return a->time < b->time;
    return a->is_call && !b->is_call;
  });
  Entry head;
  Entry* prev = &head;
  for (Entry* e : order) {
    prev->next = e;
    e->prev = prev;
    prev = e;
  }

  // Applies op `i` to `state`; false if the model forbids it (with its recorded result).
  auto step = [&](size_t i, Bits* state) {
    const TopicSetOp& op = ops[i];
    switch (op.kind) {
      case Kind::kCreate: {
        const bool present = state->Get(op_name[i]);
        if (op.result == Result::kFail) return present;
        if (present) return false;
        state->Set(op_name[i], true);
        return true;
      }
      case Kind::kDelete: {
        const bool present = state->Get(op_name[i]);
        if (op.result == Result::kFail) return !present;
        if (!present) return false;
        state->Set(op_name[i], false);
        return true;
      }
      case Kind::kList:
        return *state == listed[i];
    }
    return false;
  };

  // The search. At each node, candidates are first the calls of definite operations before
  // the first return event (plain WGL), then, once those are exhausted, the calls of unknown
  // operations before it. Trying unknown operations last keeps the greedy path short: an
  // unknown operation is linearized only where some definite one needs its effect. Among
  // pending unknown operations with the same kind and name only the earliest is tried (they
  // are interchangeable once invoked). Both orders explore the same tree as WGL, so the
  // search stays complete.
  struct Frame {
    Entry* call;
    Bits state;
    bool unknown_phase;
  };
  auto is_unknown = [&](const Entry* e) { return ops[e->op].result == Result::kUnknown; };
  auto token = [&](const Entry* e) {
    return std::make_pair(static_cast<int>(ops[e->op].kind), op_name[e->op]);
  };
  // True if an earlier unknown call of the same kind and name is still unlinearized.
  auto shadowed = [&](Entry* e) {
    for (Entry* x = head.next; x != nullptr && x != e; x = x->next) {
      if (x->is_call && is_unknown(x) && token(x) == token(e)) return true;
    }
    return false;
  };
  // Names an unknown operation must touch to help: those of the pending definite
  // operations (calls before the first return), and for pending lists those where the state
  // differs from the answer. An unknown operation on any other name can be deferred past
  // the first return without changing what the pending operations observe, so trying it
  // here would only multiply equivalent branches.
  Bits relevant(names);
  auto compute_relevant = [&](const Bits& now) {
    relevant = Bits(names);
    for (Entry* x = head.next; x != nullptr; x = x->next) {
      if (!x->is_call) {
        if (!is_unknown(x)) break;
        continue;
      }
      if (is_unknown(x)) continue;
      const TopicSetOp& op = ops[x->op];
      if (op.kind != Kind::kList) {
        relevant.Set(op_name[x->op], true);
      } else {
        for (size_t n = 0; n < names; ++n) {
          if (now.Get(n) != listed[x->op].Get(n)) relevant.Set(n, true);
        }
      }
    }
  };
  std::vector<Frame> stack;
  Bits state(names);
  for (const auto& n : initial) state.Set(name_ids[n], true);
  Bits linearized(std::max<size_t>(ops.size(), 1));
  std::unordered_set<std::string> cache;
  size_t best_depth = 0;
  std::string best_explanation = "the first operation cannot be linearized";

  Entry* entry = head.next;
  bool unknown_phase = false;
  while (head.next != nullptr) {
    if (++result.steps > max_steps) {
      result.inconclusive = true;
      result.explanation = "search stopped after " + std::to_string(max_steps) + " steps";
      return result;
    }
    if (entry != nullptr && entry->is_call) {
      const bool candidate = unknown_phase ? is_unknown(entry) &&
                                                 relevant.Get(op_name[entry->op]) &&
                                                 !shadowed(entry)
                                           : !is_unknown(entry);
      if (candidate) {
        Bits next = state;
        if (step(entry->op, &next)) {
          linearized.Set(entry->op, true);
          std::string key = linearized.bytes() + next.bytes();
          if (cache.insert(std::move(key)).second) {
            stack.push_back({entry, state, unknown_phase});
            state = std::move(next);
            Lift(entry);
            entry = head.next;
            unknown_phase = false;
            continue;
          }
          linearized.Set(entry->op, false);
        }
      }
      entry = entry->next;
      continue;
    }
    // A return event (the first one in the list): its operation should already have been
    // linearized.
    if (entry != nullptr && is_unknown(entry)) break;  // only unknowns remain: done
    if (!unknown_phase) {
      unknown_phase = true;  // now try the unknown operations invoked before this point
      compute_relevant(state);
      entry = head.next;
      continue;
    }
    if (stack.size() >= best_depth && entry != nullptr) {
      best_depth = stack.size();
      std::ostringstream out;
      out << best_depth << " operations linearize, then " << Describe(ops[entry->op])
          << " cannot. Last linearized:";
      for (size_t k = stack.size() > 8 ? stack.size() - 8 : 0; k < stack.size(); ++k) {
        out << "\n    " << Describe(ops[stack[k].call->op]);
      }
      out << "\n  state then: {";
      bool first = true;
      for (const auto& [n, id] : name_ids) {
        if (state.Get(id)) {
          out << (first ? "" : ",") << n;
          first = false;
        }
      }
      out << "}";
      best_explanation = out.str();
    }
    if (stack.empty()) {
      result.explanation = best_explanation;
      return result;
    }
    Frame top = std::move(stack.back());
    stack.pop_back();
    state = std::move(top.state);
    linearized.Set(top.call->op, false);
    Unlift(top.call);
    entry = top.call->next;
    unknown_phase = top.unknown_phase;
    if (unknown_phase) compute_relevant(state);
  }
  result.linearizable = true;
  return result;
}

}  // namespace

LinearizabilityResult CheckTopicSetHistory(const std::vector<TopicSetOp>& history,
                                           int64_t max_steps) {
  // Cut the history at lists that overlap no other definite operation: such a list fixes
  // the state at a moment every other definite operation is wholly before or after, so the
  // parts can be searched one after the other, each starting from the list's answer. This
  // keeps refuting a violation late in a long history cheap. Unknown operations invoked in
  // earlier parts stay candidates in later ones (a few per kind and name), which can only
  // make the check more lenient, never report a false violation.
  std::vector<TopicSetOp> ops = history;
  std::stable_sort(ops.begin(), ops.end(), [](const TopicSetOp& a, const TopicSetOp& b) {
    return a.invoke_ns < b.invoke_ns;
  });
  auto end_of = [](const TopicSetOp& op) {
    return op.result == Result::kUnknown ? std::numeric_limits<int64_t>::max()
                                         : std::max(op.complete_ns, op.invoke_ns);
  };
  // max_end_before[i]: the latest end of any definite op invoked before op i.
  std::vector<int64_t> max_end_before(ops.size() + 1, std::numeric_limits<int64_t>::min());
  for (size_t i = 0; i < ops.size(); ++i) {
    const int64_t e = ops[i].result == Result::kUnknown ? std::numeric_limits<int64_t>::min()
                                                        : end_of(ops[i]);
    max_end_before[i + 1] = std::max(max_end_before[i], e);
  }
  LinearizabilityResult total;
  std::set<std::string> state;
  std::vector<TopicSetOp> segment;
  std::map<std::pair<int, std::string>, std::vector<TopicSetOp>> carried;
  auto run_segment = [&](const std::set<std::string>& start) {
    std::vector<TopicSetOp> all = segment;
    const int64_t begin = segment.empty() ? 0 : segment.front().invoke_ns;
    for (const auto& [token, list] : carried) {
      for (TopicSetOp op : list) {
        op.invoke_ns = std::min(op.invoke_ns, begin);
        all.push_back(op);
      }
    }
    LinearizabilityResult r = SearchSegment(all, start, max_steps - total.steps);
    total.steps += r.steps;
    if (!r.linearizable) {
      total.linearizable = false;
      total.inconclusive = r.inconclusive;
      total.explanation = r.explanation;
      return false;
    }
    for (const TopicSetOp& op : segment) {
      if (op.result != Result::kUnknown) continue;
      auto& list = carried[{static_cast<int>(op.kind), op.name}];
      if (list.size() < 2) list.push_back(op);
    }
    return true;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    segment.push_back(ops[i]);
    const TopicSetOp& op = ops[i];
    const bool isolated =
        op.kind == Kind::kList && op.result == Result::kOk &&
        max_end_before[i] < op.invoke_ns &&
        (i + 1 == ops.size() || ops[i + 1].invoke_ns > end_of(op));
    // Definite ops invoked later but before this list ended would overlap it; the check on
    // ops[i + 1] covers them because ops are sorted by invocation.
    if (!isolated) continue;
    if (!run_segment(state)) return total;
    state = op.listed;
    segment.clear();
  }
  if (!run_segment(state)) return total;
  total.linearizable = true;
  return total;
}

std::vector<TopicSetOp> TopicSetOpsFromHistory(const std::vector<Operation>& history) {
  std::vector<TopicSetOp> out;
  for (const Operation& op : history) {
    TopicSetOp t;
    t.id = op.id;
    t.invoke_ns = op.invoke_ns;
    t.complete_ns = op.complete_ns;
    t.name = op.key;
    const bool unknown = op.outcome == Outcome::kUnknown || op.outcome == Outcome::kPending;
    switch (op.type) {
      case OpType::kCreate:
      case OpType::kDelete: {
        t.kind = op.type == OpType::kCreate ? Kind::kCreate : Kind::kDelete;
        if (unknown) {
          t.result = Result::kUnknown;
        } else if (op.outcome == Outcome::kOk) {
          t.result = Result::kOk;
        } else if (absl::StartsWith(op.error, op.type == OpType::kCreate
                                                  ? "TOPIC_ALREADY_EXISTS"
                                                  : "UNKNOWN_TOPIC_OR_PARTITION")) {
          t.result = Result::kFail;
        } else {
          continue;  // refused for another reason: changed nothing, observed nothing
        }
        break;
      }
      case OpType::kList:
        if (op.outcome != Outcome::kOk) continue;
        t.kind = Kind::kList;
        t.listed = std::set<std::string>(op.values.begin(), op.values.end());
        break;
      default:
        continue;
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace keel::e2e
