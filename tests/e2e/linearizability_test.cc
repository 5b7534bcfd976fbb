#include "tests/e2e/linearizability.h"

#include <random>

#include <gtest/gtest.h>

namespace keel::e2e {
namespace {

using Kind = TopicSetOp::Kind;
using Result = TopicSetOp::Result;

TopicSetOp Op(Kind kind, const std::string& name, Result result, int64_t invoke, int64_t complete,
              std::set<std::string> listed = {}) {
  static int64_t next_id = 0;
  TopicSetOp op;
  op.kind = kind;
  op.name = name;
  op.result = result;
  op.invoke_ns = invoke;
  op.complete_ns = complete;
  op.listed = std::move(listed);
  op.id = next_id++;
  return op;
}

TEST(TopicSetLinearizability, SequentialHistoryFollowingTheModelIsLinearizable) {
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 1),
      Op(Kind::kCreate, "a", Result::kFail, 2, 3),
      Op(Kind::kList, "", Result::kOk, 4, 5, {"a"}),
      Op(Kind::kDelete, "a", Result::kOk, 6, 7),
      Op(Kind::kDelete, "a", Result::kFail, 8, 9),
      Op(Kind::kList, "", Result::kOk, 10, 11, {}),
  };
  EXPECT_TRUE(CheckTopicSetHistory(h).linearizable);
}

TEST(TopicSetLinearizability, ConcurrentOperationsMayTakeEffectInEitherOrder) {
  // The list overlaps the create: it may see the topic or not, and a second list that
  // starts after the first ends may not go back in time.
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 10),
      Op(Kind::kList, "", Result::kOk, 1, 2, {}),
      Op(Kind::kList, "", Result::kOk, 3, 4, {"a"}),
      Op(Kind::kList, "", Result::kOk, 5, 6, {"a"}),
  };
  EXPECT_TRUE(CheckTopicSetHistory(h).linearizable);
}

TEST(TopicSetLinearizability, StaleReadAfterAnAcknowledgedCreateIsNotLinearizable) {
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 1),
      Op(Kind::kList, "", Result::kOk, 2, 3, {}),
  };
  auto r = CheckTopicSetHistory(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_FALSE(r.inconclusive);
  EXPECT_NE(r.explanation.find("list()"), std::string::npos) << r.explanation;
}

TEST(TopicSetLinearizability, ReadGoingBackInTimeIsNotLinearizable) {
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 10),
      Op(Kind::kList, "", Result::kOk, 1, 2, {"a"}),
      Op(Kind::kList, "", Result::kOk, 3, 4, {}),  // after a list that saw it
  };
  EXPECT_FALSE(CheckTopicSetHistory(h).linearizable);
}

TEST(TopicSetLinearizability, TwoConcurrentCreatesCannotBothSucceed) {
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 10),
      Op(Kind::kCreate, "a", Result::kOk, 1, 11),
  };
  EXPECT_FALSE(CheckTopicSetHistory(h).linearizable);
}

TEST(TopicSetLinearizability, UnknownCreateMayTakeEffectLateOrNever) {
  // Took effect long after the client gave up.
  std::vector<TopicSetOp> late = {
      Op(Kind::kCreate, "a", Result::kUnknown, 0, 1),
      Op(Kind::kList, "", Result::kOk, 2, 3, {}),
      Op(Kind::kList, "", Result::kOk, 4, 5, {"a"}),
  };
  EXPECT_TRUE(CheckTopicSetHistory(late).linearizable);
  // Never took effect.
  std::vector<TopicSetOp> never = {
      Op(Kind::kCreate, "a", Result::kUnknown, 0, 1),
      Op(Kind::kList, "", Result::kOk, 2, 3, {}),
      Op(Kind::kCreate, "a", Result::kOk, 4, 5),
  };
  EXPECT_TRUE(CheckTopicSetHistory(never).linearizable);
  // But not before it was invoked.
  std::vector<TopicSetOp> early = {
      Op(Kind::kList, "", Result::kOk, 0, 1, {"a"}),
      Op(Kind::kCreate, "a", Result::kUnknown, 2, 3),
  };
  EXPECT_FALSE(CheckTopicSetHistory(early).linearizable);
}

TEST(TopicSetLinearizability, ListIsAnAtomicSnapshotOfAllNames) {
  // Client 1 creates a then b (sequentially); a list that sees b but not a is impossible.
  std::vector<TopicSetOp> h = {
      Op(Kind::kCreate, "a", Result::kOk, 0, 1),
      Op(Kind::kCreate, "b", Result::kOk, 2, 3),
      Op(Kind::kList, "", Result::kOk, 0, 10, {"b"}),
  };
  EXPECT_FALSE(CheckTopicSetHistory(h).linearizable);
}

// A long random history generated from a sequential execution with jittered (overlapping)
// intervals and some results hidden as unknown.
std::vector<TopicSetOp> RandomHistory(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::set<std::string> state;
  std::vector<TopicSetOp> h;
  int64_t t = 0;
  for (int i = 0; i < n; ++i) {
    t += 10;
    const int64_t lin = t;
    const std::string name = "n" + std::to_string(rng() % 8);
    const int64_t invoke = lin - static_cast<int64_t>(rng() % 12);
    const int64_t complete = lin + static_cast<int64_t>(rng() % 12);
    switch (rng() % 3) {
      case 0: {
        const bool ok = state.insert(name).second;
        h.push_back(Op(Kind::kCreate, name, rng() % 20 == 0 ? Result::kUnknown
                                            : ok            ? Result::kOk
                                                            : Result::kFail,
                       invoke, complete));
        break;
      }
      case 1: {
        const bool ok = state.erase(name) == 1;
        h.push_back(Op(Kind::kDelete, name, rng() % 20 == 0 ? Result::kUnknown
                                            : ok            ? Result::kOk
                                                            : Result::kFail,
                       invoke, complete));
        break;
      }
      default:
        h.push_back(Op(Kind::kList, "", Result::kOk, invoke, complete, state));
    }
  }
  return h;
}

TEST(TopicSetLinearizability, LongRandomLinearizableHistoryIsAccepted) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    auto r = CheckTopicSetHistory(RandomHistory(seed, 5000));
    EXPECT_TRUE(r.linearizable) << "seed " << seed << ": " << r.explanation;
    EXPECT_LT(r.steps, 5'000'000) << "seed " << seed;
  }
}

TEST(TopicSetLinearizability, LongRandomHistoryWithOneStaleReadIsRejected) {
  std::vector<TopicSetOp> h = RandomHistory(4, 5000);
  // A list near the end that reports a name as present while, well before and well after,
  // the state says otherwise: change a list to claim a name it did not see.
  for (size_t i = h.size() - 100; i < h.size(); ++i) {
    if (h[i].kind != Kind::kList) continue;
    // Isolate it from overlapping operations so the wrong answer cannot be excused.
    const int64_t mid = h[i].invoke_ns;
    h[i].complete_ns = mid + 1;
    std::set<std::string> wrong = h[i].listed;
    wrong.insert("never-created");
    h[i].listed = wrong;
    break;
  }
  auto r = CheckTopicSetHistory(h);
  EXPECT_FALSE(r.linearizable);
  EXPECT_FALSE(r.inconclusive) << r.explanation;
  EXPECT_NE(r.explanation.find("never-created"), std::string::npos) << r.explanation;
}

TEST(TopicSetLinearizability, HistoryOpsSkipRefusalsThatObserveNothing) {
  std::vector<Operation> history(3);
  history[0].type = OpType::kCreate;
  history[0].outcome = Outcome::kFail;
  history[0].error = "INVALID_REPLICATION_FACTOR: ...";
  history[1].type = OpType::kCreate;
  history[1].outcome = Outcome::kFail;
  history[1].error = "TOPIC_ALREADY_EXISTS: ...";
  history[2].type = OpType::kList;
  history[2].outcome = Outcome::kUnknown;
  auto ops = TopicSetOpsFromHistory(history);
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].result, TopicSetOp::Result::kFail);
}

}  // namespace
}  // namespace keel::e2e
