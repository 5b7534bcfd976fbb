// A Wing-Gong / Lowe / Porcupine-style linearizability checker for the topic-set model:
//   create(name)  ok iff the name is absent (then it is present); fails iff present
//   delete(name)  ok iff the name is present (then it is absent); fails iff absent
//   list()        returns the set
// An operation of unknown outcome may have taken effect at any moment after its invocation,
// or never: it is given an infinite completion time and need not be linearized at all.
//
// The search keeps a cache of (linearized operations, state) pairs already explored, so a
// history is checked in time roughly linear in its length when few operations overlap.
#ifndef KEEL_TESTS_E2E_LINEARIZABILITY_H_
#define KEEL_TESTS_E2E_LINEARIZABILITY_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/history.h"

namespace keel::e2e {

struct TopicSetOp {
  enum class Kind { kCreate, kDelete, kList };
  enum class Result { kOk, kFail, kUnknown };
  Kind kind = Kind::kList;
  Result result = Result::kOk;
  std::string name;             // create, delete
  std::set<std::string> listed; // list (kOk only)
  int64_t invoke_ns = 0;
  int64_t complete_ns = 0;      // ignored for kUnknown
  int64_t id = -1;              // for explanations
};

struct LinearizabilityResult {
  bool linearizable = false;
  // The search stopped at `max_steps` without an answer (reported, never a pass).
  bool inconclusive = false;
  int64_t steps = 0;
  // On failure: the longest linearizable prefix found and the operation that could not
  // follow it.
  std::string explanation;
};

LinearizabilityResult CheckTopicSetHistory(const std::vector<TopicSetOp>& ops,
                                           int64_t max_steps = 50'000'000);

// The metadata operations of `history` in the form above. Failed lists and lists of
// unknown outcome constrain nothing and are left out; so are creates and deletes that the
// server refused for a reason other than the name's presence (their outcome is definite
// and they changed nothing), which are marked in `History` with an error other than
// TOPIC_ALREADY_EXISTS / UNKNOWN_TOPIC_OR_PARTITION.
std::vector<TopicSetOp> TopicSetOpsFromHistory(const std::vector<Operation>& history);

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_LINEARIZABILITY_H_
