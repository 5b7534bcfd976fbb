// The group-run checker fed good and bad histories: a lost record, a wrong or invented value,
// committed offsets going backwards (commit after commit, a new owner starting below an
// acknowledged commit, an OffsetFetch after a commit), and overlapping observations that
// must not be blamed. Plus the event line format round trip and the tailing reader.
#include "tests/integration/group_history.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace keel::testing {
namespace {

MemberEvent Record(int64_t at_ms, int32_t partition, int64_t offset, std::string value) {
  MemberEvent e;
  e.kind = MemberEvent::Kind::kRecord;
  e.at_ms = at_ms;
  e.topic = "t";
  e.partition = partition;
  e.offset = offset;
  e.text = std::move(value);
  return e;
}

MemberEvent Commit(int64_t begin_ms, int64_t at_ms, int32_t partition, int64_t offset) {
  MemberEvent e;
  e.kind = MemberEvent::Kind::kCommit;
  e.begin_ms = begin_ms;
  e.at_ms = at_ms;
  e.topic = "t";
  e.partition = partition;
  e.offset = offset;
  return e;
}

MemberEvent Start(int64_t begin_ms, int64_t at_ms, int32_t partition, int64_t offset) {
  MemberEvent e = Commit(begin_ms, at_ms, partition, offset);
  e.kind = MemberEvent::Kind::kStart;
  return e;
}

// Three records on t-0, consumed by m1 (which commits 2 after the first two) and, after m1's
// death, by m2 from the committed offset 2.
GroupHistory GoodHistory() {
  GroupHistory h;
  for (int64_t o = 0; o < 3; ++o) h.produced.push_back({{"t", 0, o}, "v" + std::to_string(o)});
  h.AddMemberEvents("m1", {Start(0, 5, 0, 0), Record(10, 0, 0, "v0"), Record(10, 0, 1, "v1"),
                           Commit(11, 20, 0, 2)});
  h.AddMemberEvents("m2", {Start(100, 110, 0, 2), Record(120, 0, 2, "v2"), Commit(121, 130, 0, 3)});
  return h;
}

bool Mentions(const GroupCheckResult& r, const std::string& text) {
  for (const auto& v : r.violations) {
    if (v.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(GroupHistoryCheckerTest, AGoodHistoryPasses) {
  GroupHistory h = GoodHistory();
  // Redelivery is allowed (at least once): m2 reads v1 again.
  h.AddMemberEvents("m2", {Record(125, 0, 1, "v1")});
  GroupCheckResult r = CheckGroupHistory(h);
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.produced, 3u);
  EXPECT_EQ(r.consumed, 4u);
  EXPECT_EQ(r.redelivered, 1u);
  EXPECT_EQ(r.offset_observations, 4u);
}

TEST(GroupHistoryCheckerTest, ALostRecordFails) {
  GroupHistory h = GoodHistory();
  h.produced.push_back({{"t", 0, 3}, "v3"});  // acknowledged, nobody read it
  GroupCheckResult r = CheckGroupHistory(h);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r, "lost: t-0@3 'v3'")) << r.Summary();
}

TEST(GroupHistoryCheckerTest, AWrongOrInventedValueFails) {
  GroupHistory h = GoodHistory();
  h.AddMemberEvents("m3", {Record(200, 0, 1, "other")});
  h.AddMemberEvents("m3", {Record(200, 0, 7, "ghost")});
  GroupCheckResult r = CheckGroupHistory(h);
  EXPECT_TRUE(Mentions(r, "m3 consumed 'other' at t-0@1 where 'v1' was acknowledged"))
      << r.Summary();
  EXPECT_TRUE(Mentions(r, "m3 consumed 'ghost' at t-0@7, never sent")) << r.Summary();
  // A retried produce: "v1" was appended at 3 too (its first answer was lost) and read there.
  GroupHistory retried = GoodHistory();
  retried.AddMemberEvents("m3", {Record(200, 0, 3, "v1")});
  GroupCheckResult r2 = CheckGroupHistory(retried);
  EXPECT_TRUE(r2.ok()) << r2.Summary();
  EXPECT_EQ(r2.producer_duplicates, 1u);
  // A value whose produce had no answer may be in the log at an unknown offset.
  GroupHistory maybe = GoodHistory();
  maybe.maybe_produced.insert("late");
  maybe.AddMemberEvents("m3", {Record(200, 0, 3, "late")});
  EXPECT_TRUE(CheckGroupHistory(maybe).ok());
}

TEST(GroupHistoryCheckerTest, ACommitGoingBackwardsFails) {
  GroupHistory h = GoodHistory();
  h.AddMemberEvents("m2", {Commit(140, 150, 0, 1)});  // after m2's commit of 3 was answered
  GroupCheckResult r = CheckGroupHistory(h);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Mentions(r, "committed offset went backwards on t-0: commit m2 saw 3")) << r.Summary();
}

TEST(GroupHistoryCheckerTest, ANewOwnerStartingBelowAnAcknowledgedCommitFails) {
  GroupHistory h = GoodHistory();
  // The coordinator forgot m2's commit of 3: m4 starts from 0 (auto.offset.reset).
  h.AddMemberEvents("m4", {Start(300, 310, 0, 0)});
  GroupCheckResult r = CheckGroupHistory(h);
  EXPECT_TRUE(Mentions(r, "then start m4 saw 0")) << r.Summary();
}

TEST(GroupHistoryCheckerTest, AnOffsetFetchBelowAnEarlierOneFails) {
  GroupHistory h = GoodHistory();
  h.offsets.push_back({"fetch", {"t", 0, 3}, 200, 210});
  h.offsets.push_back({"fetch", {"t", 0, 2}, 220, 230});
  GroupCheckResult r = CheckGroupHistory(h);
  EXPECT_TRUE(Mentions(r, "then fetch saw 2")) << r.Summary();
}

TEST(GroupHistoryCheckerTest, OverlappingObservationsAreNotOrdered) {
  GroupHistory h = GoodHistory();
  // An OffsetFetch that began before m2's commit of 3 was answered may still see 2.
  h.offsets.push_back({"fetch", {"t", 0, 2}, 125, 135});
  // Another partition is independent.
  h.offsets.push_back({"fetch", {"t", 1, 0}, 200, 210});
  GroupCheckResult r = CheckGroupHistory(h);
  EXPECT_TRUE(r.ok()) << r.Summary();
}

TEST(MemberEventTest, LinesRoundTrip) {
  MemberEvent assigned;
  assigned.kind = MemberEvent::Kind::kAssigned;
  assigned.at_ms = 7;
  assigned.generation = 3;
  assigned.assignment = {{"a", 0}, {"b", 11}};
  MemberEvent failed;
  failed.kind = MemberEvent::Kind::kCommitFailed;
  failed.at_ms = 9;
  failed.begin_ms = 8;
  failed.text = "REBALANCE_IN_PROGRESS: the group\nis rebalancing";
  for (const MemberEvent& e :
       {assigned, failed, Record(5, 2, 40, "v with spaces"), Record(5, 2, 41, ""),
        Commit(1, 2, 3, 4), Start(1, 2, 3, 4)}) {
    const std::string line = FormatMemberEvent(e);
    ASSERT_EQ(line.back(), '\n');
    MemberEvent parsed;
    ASSERT_TRUE(ParseMemberEvent(line, &parsed)) << line;
    EXPECT_EQ(FormatMemberEvent(parsed), line);
  }
  MemberEvent empty;
  empty.kind = MemberEvent::Kind::kAssigned;
  empty.at_ms = 1;
  MemberEvent parsed;
  ASSERT_TRUE(ParseMemberEvent(FormatMemberEvent(empty), &parsed));
  EXPECT_TRUE(parsed.assignment.empty());
  EXPECT_FALSE(ParseMemberEvent("[info] joined the group", &parsed));
  EXPECT_FALSE(ParseMemberEvent("@ev 12 record t x 4 v", &parsed));
  EXPECT_FALSE(ParseMemberEvent("@ev 12 bogus", &parsed));
}

TEST(MemberEventTest, TheReaderReturnsOnlyCompletedLines) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/member.out";
  std::ofstream out(path, std::ios::binary);
  out << FormatMemberEvent(Record(1, 0, 0, "v0")) << "spdlog noise\n" << "@ev 2 rec";
  out.flush();
  MemberEventReader reader(path);
  std::vector<MemberEvent> first = reader.ReadNew();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].text, "v0");
  out << "ord t 0 1 v1\n";
  out.flush();
  std::vector<MemberEvent> second = reader.ReadNew();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].offset, 1);
  EXPECT_EQ(second[0].text, "v1");
  EXPECT_TRUE(reader.ReadNew().empty());
}

}  // namespace
}  // namespace keel::testing
