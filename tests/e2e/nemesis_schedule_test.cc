#include "tests/e2e/nemesis.h"

#include <map>

#include <gtest/gtest.h>

namespace keel::e2e {
namespace {

TEST(NemesisSchedule, SameSeedSameFaultsAndEveryKindAndNodeAppears) {
  const std::vector<int> ids = {1, 2, 3};
  auto a = LaneSchedule(7, Node::Role::kController, ids, 200);
  auto b = LaneSchedule(7, Node::Role::kController, ids, 200);
  ASSERT_EQ(a.size(), 200u);
  std::map<FaultKind, int> kinds;
  std::map<int, int> nodes;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].ToString(), b[i].ToString());
    ++kinds[a[i].kind];
    ++nodes[a[i].node_id];
    if (a[i].kind == FaultKind::kPause) {
      EXPECT_GE(a[i].duration_ms, 1000);
      EXPECT_LE(a[i].duration_ms, 10000);
    }
  }
  EXPECT_EQ(kinds.size(), 3u);
  EXPECT_EQ(nodes.size(), 3u);
  EXPECT_NE(LaneSchedule(8, Node::Role::kController, ids, 5)[0].ToString() +
                LaneSchedule(8, Node::Role::kController, ids, 5)[1].ToString(),
            a[0].ToString() + a[1].ToString());
}

}  // namespace
}  // namespace keel::e2e
