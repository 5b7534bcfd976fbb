// The Storage contract, checked on its in-memory twin: 1-based indexes with a (0, 0) sentinel,
// suffix-replacing appends, compaction that keeps the snapshot's term answerable, and the
// compacted / unavailable error split the core relies on.
#include "controller/raft/memory_storage.h"

#include <gtest/gtest.h>

namespace keel::raft {
namespace {

Entry MakeEntry(uint64_t index, uint64_t term, const std::string& data = "") {
  Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(data);
  return e;
}

ConfState Voters123() {
  ConfState conf;
  for (uint64_t id : {1, 2, 3}) conf.add_voters(id);
  return conf;
}

TEST(MemoryStorage, EmptyLogHasOnlyTheSentinel) {
  MemoryStorage s(Voters123());
  EXPECT_EQ(s.FirstIndex(), 1u);
  EXPECT_EQ(s.LastIndex(), 0u);
  EXPECT_EQ(*s.Term(0), 0u);
  EXPECT_TRUE(raft::IsUnavailable(s.Term(1).status()));
  EXPECT_TRUE(raft::IsUnavailable(s.GetSnapshot().status()));
  auto initial = s.InitialState();
  ASSERT_TRUE(initial.ok());
  EXPECT_EQ(initial->conf_state.voters_size(), 3);
}

TEST(MemoryStorage, AppendReplacesTheConflictingSuffix) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append({MakeEntry(1, 1), MakeEntry(2, 1), MakeEntry(3, 1)}).ok());
  ASSERT_TRUE(s.Append({MakeEntry(2, 2, "new")}).ok());
  EXPECT_EQ(s.LastIndex(), 2u);
  EXPECT_EQ(*s.Term(2), 2u);
  auto e = s.Entries(2, 3, UINT64_MAX);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)[0].data(), "new");
}

TEST(MemoryStorage, AppendRefusesAGap) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append({MakeEntry(1, 1)}).ok());
  EXPECT_FALSE(s.Append({MakeEntry(3, 1)}).ok());
  EXPECT_EQ(s.LastIndex(), 1u);
}

TEST(MemoryStorage, EntriesReturnsAtLeastOneEntryWithinTheByteLimit) {
  MemoryStorage s;
  ASSERT_TRUE(
      s.Append({MakeEntry(1, 1, std::string(100, 'a')), MakeEntry(2, 1, "b"), MakeEntry(3, 1, "c")})
          .ok());
  auto one = s.Entries(1, 4, 1);  // smaller than any entry: still one
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  auto all = s.Entries(1, 4, UINT64_MAX);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_TRUE(raft::IsUnavailable(s.Entries(2, 5, UINT64_MAX).status()));
}

TEST(MemoryStorage, CompactionKeepsTheSnapshotTermAndReportsCompacted) {
  MemoryStorage s(Voters123());
  for (uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(s.Append({MakeEntry(i, i <= 3 ? 1 : 2)}).ok());
  EXPECT_FALSE(s.Compact(3).ok()) << "compacting past the snapshot would lose entries";
  ASSERT_TRUE(s.CreateSnapshot(4, "state@4").ok());
  ASSERT_TRUE(s.Compact(4).ok());
  EXPECT_EQ(s.FirstIndex(), 5u);
  EXPECT_EQ(s.LastIndex(), 5u);
  EXPECT_EQ(*s.Term(4), 2u);  // the snapshot's entry answers the consistency check
  EXPECT_TRUE(raft::IsCompacted(s.Term(3).status()));
  EXPECT_TRUE(raft::IsCompacted(s.Entries(4, 6, UINT64_MAX).status()));
  EXPECT_FALSE(raft::IsUnavailable(s.Term(3).status()));
  auto snap = s.GetSnapshot();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->metadata.index(), 4u);
  EXPECT_EQ(snap->metadata.term(), 2u);
  EXPECT_EQ(snap->metadata.conf_state().voters_size(), 3);
  EXPECT_EQ(snap->data, "state@4");
  // Entries already inside the snapshot are ignored by Append.
  ASSERT_TRUE(s.Append({MakeEntry(3, 1), MakeEntry(4, 2), MakeEntry(5, 2), MakeEntry(6, 2)}).ok());
  EXPECT_EQ(s.FirstIndex(), 5u);
  EXPECT_EQ(s.LastIndex(), 6u);
}

TEST(MemoryStorage, CreateSnapshotRecordsTheGivenMembership) {
  MemoryStorage s(Voters123());
  ASSERT_TRUE(s.Append({MakeEntry(1, 1), MakeEntry(2, 1)}).ok());
  ConfState conf = Voters123();
  conf.add_observers(4);
  ASSERT_TRUE(s.CreateSnapshot(2, conf, "x").ok());
  EXPECT_EQ(s.GetSnapshot()->metadata.conf_state().observers_size(), 1);
  EXPECT_FALSE(s.CreateSnapshot(2, "older").ok());
  EXPECT_TRUE(raft::IsUnavailable(s.CreateSnapshot(9, "beyond")));
}

TEST(MemoryStorage, ApplySnapshotReplacesTheWholeLog) {
  MemoryStorage s;
  ASSERT_TRUE(s.Append({MakeEntry(1, 1), MakeEntry(2, 1), MakeEntry(3, 1)}).ok());
  Snapshot snap;
  snap.metadata.set_index(10);
  snap.metadata.set_term(4);
  snap.data = "leader-state";
  ASSERT_TRUE(s.ApplySnapshot(snap).ok());
  EXPECT_EQ(s.FirstIndex(), 11u);
  EXPECT_EQ(s.LastIndex(), 10u);
  EXPECT_EQ(*s.Term(10), 4u);
  EXPECT_FALSE(s.ApplySnapshot(snap).ok()) << "not newer than the current snapshot";
  ASSERT_TRUE(s.Append({MakeEntry(11, 4)}).ok());
  EXPECT_EQ(s.LastIndex(), 11u);
}

TEST(MemoryStorage, CompactedAndUnavailableAreDistinct) {
  absl::Status compacted = CompactedError(3);
  absl::Status unavailable = UnavailableError(3);
  EXPECT_TRUE(raft::IsCompacted(compacted));
  EXPECT_FALSE(raft::IsUnavailable(compacted));
  EXPECT_TRUE(raft::IsUnavailable(unavailable));
  EXPECT_FALSE(raft::IsCompacted(unavailable));
  EXPECT_FALSE(raft::IsCompacted(absl::OutOfRangeError("some other range error")));
}

}  // namespace
}  // namespace keel::raft
