// RaftLog: the durable log plus the unstable tail. These are the log-matching mechanics the
// core builds on: the consistency check, truncation of a conflicting suffix, the reject hint
// for fast backtracking, and entries persisted while being replaced.
#include "controller/raft/raft_log.h"

#include <gtest/gtest.h>

#include "controller/raft/memory_storage.h"

namespace keel::raft {
namespace {

Entry MakeEntry(uint64_t index, uint64_t term, const std::string& data = "") {
  Entry e;
  e.set_index(index);
  e.set_term(term);
  e.set_data(data);
  return e;
}

// Durable entries with the given terms at indexes 1, 2, ...
std::unique_ptr<MemoryStorage> StorageWithTerms(const std::vector<uint64_t>& terms) {
  auto s = std::make_unique<MemoryStorage>();
  for (size_t i = 0; i < terms.size(); ++i) {
    (void)s->Append({MakeEntry(i + 1, terms[i])});
  }
  return s;
}

TEST(RaftLog, ConsistencyCheckRejectsAMismatchedPreviousEntry) {
  auto s = StorageWithTerms({1, 1, 2});
  RaftLog log(s.get());
  EXPECT_FALSE(log.MaybeAppend(3, 1, 0, {MakeEntry(4, 3)}).has_value());
  EXPECT_FALSE(log.MaybeAppend(5, 2, 0, {MakeEntry(6, 3)}).has_value()) << "gap";
  auto last = log.MaybeAppend(3, 2, 0, {MakeEntry(4, 3)});
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 4u);
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(log.unstable_entries().size(), 1u);
}

TEST(RaftLog, ConflictingSuffixIsReplacedAndMatchingPrefixKept) {
  auto s = StorageWithTerms({1, 1, 1, 1});
  RaftLog log(s.get());
  // Entries 2 and 3 match; 4 conflicts (term 2 vs 1) and replaces the durable entry 4.
  auto last = log.MaybeAppend(1, 1, 3, {MakeEntry(2, 1), MakeEntry(3, 1), MakeEntry(4, 2)});
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(log.LastIndex(), 4u);
  EXPECT_EQ(*log.Term(4), 2u);
  ASSERT_EQ(log.unstable_entries().size(), 1u);
  EXPECT_EQ(log.unstable_entries()[0].index(), 4u);
  EXPECT_EQ(log.committed(), 3u);
}

TEST(RaftLog, DuplicateAppendChangesNothingAndCommitsOnlyWhatItCarries) {
  auto s = StorageWithTerms({1, 1, 1, 1, 1});
  RaftLog log(s.get());
  // A delayed append covering 1..2 must not truncate 3..5, and its commit (5) is capped at
  // the last entry it vouches for.
  auto last = log.MaybeAppend(0, 0, 5, {MakeEntry(1, 1), MakeEntry(2, 1)});
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 2u);
  EXPECT_EQ(log.LastIndex(), 5u);
  EXPECT_TRUE(log.unstable_entries().empty());
  EXPECT_EQ(log.committed(), 2u);
}

TEST(RaftLog, FindConflictByTermSkipsAWholeTerm) {
  auto s = StorageWithTerms({1, 1, 2, 2, 2, 3, 3});
  RaftLog log(s.get());
  EXPECT_EQ(log.FindConflictByTerm(7, 2), 5u);  // skip term 3 entirely
  EXPECT_EQ(log.FindConflictByTerm(7, 1), 2u);
  EXPECT_EQ(log.FindConflictByTerm(7, 3), 7u);
  EXPECT_EQ(log.FindConflictByTerm(100, 2), 5u) << "index beyond the log is clamped";
  EXPECT_EQ(log.FindConflictByTerm(7, 0), 0u);
}

TEST(RaftLog, UpToDateComparesLastTermThenLength) {
  auto s = StorageWithTerms({1, 2, 2});
  RaftLog log(s.get());
  EXPECT_TRUE(log.IsUpToDate(1, 3));   // higher last term wins even if shorter
  EXPECT_TRUE(log.IsUpToDate(3, 2));   // same term, same length
  EXPECT_FALSE(log.IsUpToDate(2, 2));  // same term, shorter
  EXPECT_FALSE(log.IsUpToDate(9, 1));  // lower term loses even if longer
}

TEST(RaftLog, SliceSpansDurableAndUnstableWithinTheByteLimit) {
  auto s = StorageWithTerms({1, 1});
  RaftLog log(s.get());
  log.Append({MakeEntry(3, 2, "x"), MakeEntry(4, 2, "y")});
  auto all = log.Slice(1, 5, UINT64_MAX);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[3].data(), "y");
  auto one = log.Slice(2, 5, 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
}

TEST(RaftLog, StableToIgnoresEntriesReplacedSincePersisting) {
  auto s = StorageWithTerms({1});
  RaftLog log(s.get());
  log.Append({MakeEntry(2, 1), MakeEntry(3, 1)});
  // Before the caller reports 2..3 (term 1) persisted, a new leader replaces 3.
  log.Append({MakeEntry(3, 2)});
  log.StableTo(3, 1);  // stale: entry 3 is now term 2 and still unpersisted
  ASSERT_EQ(log.unstable_entries().size(), 2u);
  log.StableTo(2, 1);
  ASSERT_EQ(log.unstable_entries().size(), 1u);
  EXPECT_EQ(log.unstable_entries()[0].term(), 2u);
}

TEST(RaftLog, OnlyCurrentTermEntriesCommitByCounting) {
  auto s = StorageWithTerms({1, 2});
  RaftLog log(s.get());
  EXPECT_FALSE(log.MaybeCommit(2, 3)) << "term-2 entry must not commit in term 3";
  EXPECT_EQ(log.committed(), 0u);
  log.Append({MakeEntry(3, 3)});
  EXPECT_TRUE(log.MaybeCommit(3, 3));
  EXPECT_EQ(log.committed(), 3u);
}

TEST(RaftLog, RestoreFromSnapshotMovesTheWholeLog) {
  auto s = StorageWithTerms({1, 1});
  RaftLog log(s.get());
  Snapshot snap;
  snap.metadata.set_index(10);
  snap.metadata.set_term(3);
  log.Restore(snap);
  EXPECT_EQ(log.FirstIndex(), 11u);
  EXPECT_EQ(log.LastIndex(), 10u);
  EXPECT_EQ(log.LastTerm(), 3u);
  EXPECT_EQ(log.committed(), 10u);
  EXPECT_TRUE(raft::IsCompacted(log.Term(5).status()));
  EXPECT_FALSE(log.HasNextCommitted()) << "entries inside a snapshot are never applied";
  log.StableSnapTo(10);
  EXPECT_FALSE(log.unstable_snapshot().has_value());
}

}  // namespace
}  // namespace keel::raft
