// Log compaction: the pure rules (CleanBatches) and Log::Compact on MemEnv, including a
// crash before every step of the rewrite.
#include "storage/cleaner.h"

#include <gtest/gtest.h>

#include <map>

#include "storage/fault_injection_env.h"
#include "storage/log.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

constexpr char kDir[] = "/log";

Record Put(const std::string& key, const std::string& value, int64_t ts = 1000) {
  Record r;
  r.key = key;
  r.value = value;
  r.timestamp_ms = ts;
  return r;
}
Record Tombstone(const std::string& key, int64_t ts = 1000) {
  Record r = Put(key, "", ts);
  r.null_value = true;
  return r;
}

LogOptions Options(Env* env) {
  LogOptions o;
  o.env = env;
  o.segment_size_bytes = 200;  // a few batches per segment
  o.index_interval_bytes = 64;
  return o;
}

// offset -> record of everything readable from the log start.
std::map<int64_t, Record> Contents(Log& log) {
  std::map<int64_t, Record> out;
  int64_t offset = log.log_start_offset();
  while (offset < log.log_end_offset()) {
    auto batches = log.Read(offset, 1 << 20);
    EXPECT_TRUE(batches.ok()) << batches.status();
    if (!batches.ok() || batches->empty()) break;
    for (const RecordBatch& b : *batches) {
      for (size_t i = 0; i < b.records.size(); ++i) out[b.OffsetOf(i)] = b.records[i];
      offset = b.next_offset();
    }
  }
  return out;
}

// Keys k0..k4 written round after round, one record per batch, value "<key>@<round>".
void Fill(Log& log, int rounds) {
  for (int round = 0; round < rounds; ++round) {
    for (int k = 0; k < 5; ++k) {
      const std::string key = "k" + std::to_string(k);
      ASSERT_TRUE(log.Append(1, {Put(key, key + "@" + std::to_string(round))}).ok());
    }
  }
}

TEST(CleanBatches, KeepsNewestPerKeyAtItsOffsetAndDropsNullKeys) {
  RecordBatch a;
  a.base_offset = 10;
  a.records = {Put("x", "1"), Put("y", "1"), Put("x", "2")};
  Record no_key = Put("", "v");
  no_key.null_key = true;
  RecordBatch b;
  b.base_offset = 13;
  b.records = {no_key, Put("y", "2")};
  KeyMap keys;
  keys.Add(a);
  keys.Add(b);
  EXPECT_EQ(keys.NewestOffset("x"), 12);
  EXPECT_EQ(keys.NewestOffset("y"), 14);
  CleanStats stats;
  auto out = CleanBatches({a, b}, keys, CleanRules{}, &stats);
  ASSERT_EQ(out.size(), 1u);  // one epoch, small: merged, range kept
  EXPECT_EQ(out[0].base_offset, 10);
  EXPECT_EQ(out[0].next_offset(), 15);
  ASSERT_EQ(out[0].records.size(), 2u);
  EXPECT_EQ(out[0].OffsetOf(0), 12);
  EXPECT_EQ(out[0].records[0].value, "2");
  EXPECT_EQ(out[0].OffsetOf(1), 14);
  EXPECT_EQ(stats.null_keys_removed, 1);
  EXPECT_EQ(stats.records_kept, 2);
}

TEST(CleanBatches, TombstoneKeptUntilDeleteRetentionPassed) {
  RecordBatch a;
  a.base_offset = 0;
  a.records = {Put("x", "1"), Tombstone("x")};
  KeyMap keys;
  keys.Add(a);
  CleanRules rules;
  rules.delete_retention_ms = 500;
  rules.segment_max_timestamp_ms = 1000;
  rules.now_ms = 1500;  // not older than 500 ms yet
  CleanStats stats;
  auto kept = CleanBatches({a}, keys, rules, &stats);
  ASSERT_EQ(kept[0].records.size(), 1u);
  EXPECT_TRUE(kept[0].records[0].null_value);
  rules.now_ms = 1501;
  auto gone = CleanBatches({a}, keys, rules, &stats);
  EXPECT_TRUE(gone[0].records.empty());
  EXPECT_EQ(gone[0].next_offset(), 2);
  EXPECT_EQ(stats.tombstones_removed, 1);
}

TEST(CleanBatches, EpochsAreNotMerged) {
  RecordBatch a;
  a.base_offset = 0;
  a.leader_epoch = 1;
  a.records = {Put("x", "1")};
  RecordBatch b;
  b.base_offset = 1;
  b.leader_epoch = 2;
  b.records = {Put("x", "2")};
  KeyMap keys;
  keys.Add(a);
  keys.Add(b);
  CleanStats stats;
  auto out = CleanBatches({a, b}, keys, CleanRules{}, &stats);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].records.empty());
  EXPECT_EQ(out[0].leader_epoch, 1);
  EXPECT_EQ(out[1].records.size(), 1u);
}

TEST(LogCompact, NewestPerKeyAtOriginalOffsetsActiveSegmentUntouched) {
  MemEnv env;
  auto log = *Log::Open(kDir, Options(&env));
  Fill(*log, 6);  // 30 records, offsets 0..29
  ASSERT_GT(log->segment_count(), 3u);
  const auto before = Contents(*log);
  const size_t active_bytes = log->size_bytes();
  CompactOptions options;
  options.now_ms = 2000;
  auto result = log->Compact(options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ran);
  EXPECT_GT(result->segments_rewritten, 0);
  EXPECT_GT(result->records_removed, 0);
  EXPECT_LT(log->size_bytes(), active_bytes);
  const auto after = Contents(*log);
  // Every survivor is the original record at its original offset.
  for (const auto& [offset, r] : after) EXPECT_EQ(before.at(offset), r) << offset;
  // Each key's newest record survives; in the closed segments only the newest of each key.
  std::map<std::string, int64_t> newest;
  for (const auto& [offset, r] : before) newest[r.key] = offset;
  for (const auto& [key, offset] : newest) EXPECT_EQ(after.count(offset), 1u) << key;
  EXPECT_EQ(log->log_end_offset(), 30);
  // Offsets nobody reads any more still resolve: a read at a removed offset returns the
  // batch range holding it, whose first record at or past it is the next survivor.
  for (int64_t o = 0; o < 30; ++o) {
    auto batches = log->Read(o, 1 << 20);
    ASSERT_TRUE(batches.ok()) << o;
    int64_t first = -1;
    for (const auto& b : *batches) {
      for (size_t i = 0; i < b.records.size() && first < 0; ++i) {
        if (b.OffsetOf(i) >= o) first = b.OffsetOf(i);
      }
    }
    EXPECT_EQ(first, after.lower_bound(o)->first) << o;
  }
  // The same after a reopen; and appends continue at the same end.
  log.reset();
  log = *Log::Open(kDir, Options(&env));
  EXPECT_EQ(Contents(*log), after);
  auto appended = log->Append(1, {Put("k0", "new")});
  ASSERT_TRUE(appended.ok());
  EXPECT_EQ(appended->base_offset, 30);
  // Nothing dirty: a second run is skipped by the dirty ratio.
  auto again = log->Compact(options);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->ran);
}

TEST(LogCompact, TombstonesStayForDeleteRetentionThenGo) {
  MemEnv env;
  auto log = *Log::Open(kDir, Options(&env));
  ASSERT_TRUE(log->Append(1, {Put("gone", "v", 1000)}).ok());
  ASSERT_TRUE(log->Append(1, {Tombstone("gone", 1000)}).ok());
  Fill(*log, 4);  // closes the segments holding the tombstone
  CompactOptions options;
  options.delete_retention_ms = 10000;
  options.min_cleanable_dirty_ratio = 0;
  options.now_ms = 5000;
  ASSERT_TRUE(log->Compact(options).ok());
  auto contents = Contents(*log);
  ASSERT_EQ(contents.count(1), 1u);
  EXPECT_TRUE(contents[1].null_value);
  EXPECT_EQ(contents.count(0), 0u);
  options.now_ms = 1000 + 10000 + 2000;  // well past every segment's newest time + 10 s
  auto result = log->Compact(options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->tombstones_removed, 1);
  EXPECT_EQ(Contents(*log).count(1), 0u);
}

// Interrupt the compaction before each of its disk steps in turn, crash (unsynced data and
// directory entries are lost), reopen: nothing is lost, and a later compaction finishes.
TEST(LogCompact, CrashBeforeEveryStepLosesNothing) {
  std::map<int64_t, Record> reference;
  {
    MemEnv env;
    auto log = *Log::Open(kDir, Options(&env));
    Fill(*log, 6);
    CompactOptions options;
    ASSERT_TRUE(log->Compact(options).ok());
    reference = Contents(*log);
  }
  int steps_seen = 0;
  for (int crash_at = 0;; ++crash_at) {
    SCOPED_TRACE(crash_at);
    FaultInjectionEnv env;
    auto log = *Log::Open(kDir, Options(&env));
    Fill(*log, 6);
    ASSERT_TRUE(log->Flush().ok());
    const auto before = Contents(*log);
    int calls = 0;
    CompactOptions options;
    options.before_step = [&](const char*) {
      return calls++ == crash_at ? absl::AbortedError("crash") : absl::OkStatus();
    };
    auto result = log->Compact(options);
    const bool interrupted = calls > crash_at;
    steps_seen = calls;
    log.reset();
    env.SimulateCrash();
    auto reopened = Log::Open(kDir, Options(&env));
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    const auto after = Contents(**reopened);
    // Between the original and the fully compacted log, never less than the latter.
    for (const auto& [offset, r] : after) EXPECT_EQ(before.at(offset), r);
    for (const auto& [offset, r] : reference) EXPECT_EQ(after.at(offset), r);
    EXPECT_FALSE(env.FileExists(std::string(kDir) + "/" + format::kCleanerDir + "/" +
                                "00000000000000000000.log"));
    CompactOptions finish;
    finish.min_cleanable_dirty_ratio = 0;
    ASSERT_TRUE((*reopened)->Compact(finish).ok());
    EXPECT_EQ(Contents(**reopened), reference);
    if (!interrupted) {
      ASSERT_TRUE(result.ok());
      break;
    }
  }
  EXPECT_GT(steps_seen, 8);
}

}  // namespace
}  // namespace keel::storage
