// The log under disk faults (FaultInjectionEnv): crashes that tear the last batch at every
// byte, bit flips at every byte of a batch and of an index, ENOSPC at every byte budget,
// failing and slow fsyncs, and crashes in the middle of multi-step operations.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "storage/batch_codec.h"
#include "storage/fault_injection_env.h"
#include "storage/log.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

constexpr char kDir[] = "/log";
constexpr char kFirstLog[] = "/log/00000000000000000000.log";
constexpr char kFirstIndex[] = "/log/00000000000000000000.index";

std::vector<Record> Records(int n, const std::string& prefix, int value_bytes = 20) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.key = prefix + "-k" + std::to_string(i);
    r.value = prefix + std::string(value_bytes, 'v') + std::to_string(i);
    r.headers.push_back({"h", "x"});
    r.timestamp_ms = 1000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

LogOptions Options(Env* env, int64_t segment_size_bytes = 1 << 20) {
  LogOptions o;
  o.env = env;
  o.segment_size_bytes = segment_size_bytes;
  o.index_interval_bytes = 128;
  return o;
}

std::unique_ptr<Log> MustOpen(const LogOptions& o) {
  auto log = Log::Open(kDir, o);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : nullptr;
}

std::vector<RecordBatch> ReadAll(Log& log) {
  auto all = log.Read(log.log_start_offset(), int64_t{1} << 30);
  EXPECT_TRUE(all.ok()) << all.status();
  return all.ok() ? *all : std::vector<RecordBatch>{};
}

// Crash with the last batch cut at every byte boundary (torn bytes kept as written, or
// zeroed as an allocated but unwritten sector reads): the log recovers to exactly the
// batches before it, and appends continue from there.
TEST(LogFault, TornLastBatchAtEveryByteIsCutOnRecovery) {
  const int64_t batch_bytes =
      static_cast<int64_t>(EncodeBatch(RecordBatch{10, 1, 0, Records(3, "last")}).size());
  const int64_t ok_batch_bytes =
      static_cast<int64_t>(EncodeBatch(RecordBatch{0, 1, 0, Records(2, "ok")}).size());
  // Either the last batch lands in the active segment, or it is the first of a new one
  // (the five before fill a segment exactly, so appending it rolls).
  for (int64_t segment_bytes : {int64_t{1} << 20, 5 * ok_batch_bytes})
    for (bool zeros : {false, true}) {
      for (int64_t cut = 0; cut <= batch_bytes; ++cut) {
        FaultInjectionEnv env;
        LogOptions o = Options(&env, segment_bytes);
        o.flush = FlushPolicy::Never();
        auto log = MustOpen(o);
        for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(1, Records(2, "ok")).ok());
        ASSERT_TRUE(log->Flush().ok());
        const std::vector<RecordBatch> durable = ReadAll(*log);
        ASSERT_TRUE(log->Append(1, Records(3, "last")).ok());  // not fsynced
        ASSERT_EQ(log->segment_count(), segment_bytes < (1 << 20) ? 2u : 1u);
        log.reset();
        env.SimulateCrash(static_cast<uint64_t>(cut), zeros);
        log = MustOpen(o);
        const std::string where = "cut " + std::to_string(cut) + (zeros ? " zeros" : "") +
                                  " segment " + std::to_string(segment_bytes);
        if (cut == batch_bytes && !zeros) {
          ASSERT_EQ(log->log_end_offset(), 13) << where;  // the whole batch made it
          continue;
        }
        ASSERT_EQ(log->log_end_offset(), 10) << where;
        EXPECT_EQ(log->recovered_truncated_bytes(), cut) << where;
        ASSERT_EQ(ReadAll(*log), durable) << where;
        auto again = log->Append(2, Records(1, "after"));
        ASSERT_TRUE(again.ok()) << where;
        EXPECT_EQ(again->base_offset, 10) << where;
      }
    }
}

// Directory entries count: a crash keeps every segment the log created (it fsyncs the
// directory after creating one), even right after a roll.
TEST(LogFault, CrashKeepsEveryRolledSegment) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 1024);
  auto log = MustOpen(o);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(log->Append(1, Records(2, "r")).ok());
  const size_t segments = log->segment_count();
  ASSERT_GT(segments, 5u);
  const std::vector<RecordBatch> before = ReadAll(*log);
  log.reset();
  env.SimulateCrash();
  log = MustOpen(o);
  EXPECT_EQ(log->segment_count(), segments);
  EXPECT_EQ(ReadAll(*log), before);
}

TEST(LogFault, BitFlipAtEveryByteOfTheLastBatchIsCutOnUncleanRecovery) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  auto log = MustOpen(o);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(1, Records(2, "ok")).ok());
  const std::vector<RecordBatch> kept = ReadAll(*log);
  const uint64_t last_at = *env.FileSize(kFirstLog);
  ASSERT_TRUE(log->Append(1, Records(3, "last")).ok());
  log.reset();
  const std::string image = env.Contents(kFirstLog);
  for (uint64_t at = last_at; at < image.size(); ++at) {
    // Restore the pristine file, then damage one bit of the last batch.
    env.CutFile(kFirstLog, 0);
    auto w = env.NewAppendableFile(kFirstLog);
    ASSERT_TRUE((*w)->Append(image).ok());
    env.FlipBit(kFirstLog, at, static_cast<int>(at % 8));
    log = MustOpen(o);  // unclean: validates the active segment
    ASSERT_EQ(log->log_end_offset(), 10) << "byte " << at;
    ASSERT_EQ(ReadAll(*log), kept) << "byte " << at;
    log.reset();
  }
}

// A corrupt batch in a closed segment is never skipped: a read stops short of it, a read
// of it fails with DataLoss, and once it was seen nothing past it is served.
TEST(LogFault, BitFlipAtEveryByteOfAClosedSegmentBatchIsDataLoss) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 2048);
  auto log = MustOpen(o);
  for (int i = 0; i < 80; ++i) ASSERT_TRUE(log->Append(1 + i, Records(1, "c")).ok());
  ASSERT_GT(log->segment_count(), 2u);
  const std::vector<RecordBatch> all = ReadAll(*log);
  const int64_t end = log->log_end_offset();
  ASSERT_TRUE(log->Close().ok());
  // Victim: the 6th batch of the first segment; find its byte range.
  const int64_t victim = 5;
  uint64_t from = 0;
  for (int64_t i = 0; i < victim; ++i) from += EncodeBatch(all[i]).size();
  const uint64_t to = from + EncodeBatch(all[victim]).size();
  for (uint64_t at = from; at < to; ++at) {
    const std::string where = "byte " + std::to_string(at);
    env.FlipBit(kFirstLog, at, static_cast<int>(at % 8));
    log = MustOpen(o);  // clean: closed segments are not scanned at open
    EXPECT_EQ(log->Read(victim, 1).status().code(), absl::StatusCode::kDataLoss) << where;
    EXPECT_EQ(log->EpochAt(victim).status().code(), absl::StatusCode::kDataLoss) << where;
    auto through = log->Read(0, int64_t{1} << 30);  // stops short of the damage
    ASSERT_TRUE(through.ok()) << where << through.status();
    EXPECT_EQ(through->back().next_offset(), victim) << where;
    EXPECT_EQ(log->Read(victim, int64_t{1} << 30).status().code(), absl::StatusCode::kDataLoss)
        << where;
    EXPECT_EQ(log->Read(end - 1, 1).status().code(), absl::StatusCode::kDataLoss) << where;
    auto before = log->Read(victim - 1, 1);  // what precedes the damage is still served
    ASSERT_TRUE(before.ok()) << where << before.status();
    EXPECT_EQ(before->front(), all[victim - 1]) << where;
    ASSERT_TRUE(log->Close().ok());
    env.FlipBit(kFirstLog, at, static_cast<int>(at % 8));  // heal for the next round
  }
}

// The index is a hint: whatever bit of it flips, every read still returns the right batch
// (an entry that fails the checks at open is rebuilt, one that passes them costs a scan).
TEST(LogFault, BitFlipAtEveryByteOfASealedIndexNeverServesWrongData) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 8192);
  o.index_interval_bytes = 64;
  auto log = MustOpen(o);
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(log->Append(1, Records(1, "i")).ok());
  ASSERT_GT(log->segment_count(), 1u);
  const std::vector<RecordBatch> all = ReadAll(*log);
  ASSERT_TRUE(log->Close().ok());
  const std::string good = env.Contents(kFirstIndex);
  ASSERT_GT(good.size(), 20u * format::kIndexEntryBytes);
  for (uint64_t at = 0; at < good.size(); ++at) {
    env.FlipBit(kFirstIndex, at, static_cast<int>((at * 5) % 8));
    log = MustOpen(o);
    for (size_t i = 0; i < all.size(); i += 3) {
      auto read = log->Read(all[i].base_offset, 1);
      ASSERT_TRUE(read.ok()) << "index byte " << at << " offset " << i << ": " << read.status();
      ASSERT_EQ(read->front(), all[i]) << "index byte " << at;
    }
    ASSERT_TRUE(log->Close().ok());
    if (env.Contents(kFirstIndex) != good) {
      env.FlipBit(kFirstIndex, at, static_cast<int>((at * 5) % 8));
    }
    ASSERT_EQ(env.Contents(kFirstIndex), good);
  }
}

// ENOSPC at every byte budget around one append (its batch and its index entry): either
// the append fits or it fails with a clear ResourceExhausted, and the log is exactly as
// before, on disk too.
TEST(LogFault, NoSpaceAtEveryByteBudgetIsAClearErrorAndLeavesTheLogConsistent) {
  const int64_t batch_bytes =
      static_cast<int64_t>(EncodeBatch(RecordBatch{0, 1, 0, Records(2, "full", 40)}).size());
  for (int64_t budget = 0; budget <= batch_bytes + format::kIndexEntryBytes; ++budget) {
    FaultInjectionEnv env;
    LogOptions o = Options(&env);
    o.index_interval_bytes = 1;  // every batch gets an index entry
    auto log = MustOpen(o);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(log->Append(1, Records(2, "ok")).ok());
    const std::vector<RecordBatch> before = ReadAll(*log);
    env.FailWritesAfter(budget);
    auto full = log->Append(1, Records(2, "full", 40));
    const std::string where = "budget " + std::to_string(budget);
    if (budget >= batch_bytes + format::kIndexEntryBytes) {
      ASSERT_TRUE(full.ok()) << where << full.status();
      continue;
    }
    ASSERT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << where;
    EXPECT_NE(full.status().message().find("No space left"), std::string::npos) << full.status();
    EXPECT_EQ(log->log_end_offset(), 8) << where;
    EXPECT_EQ(ReadAll(*log), before) << where;
    EXPECT_EQ(env.Contents(kFirstIndex).size(), 4u * format::kIndexEntryBytes) << where;
    env.SetSpaceLimit(-1);  // space freed: the log goes on
    auto after = log->Append(1, Records(1, "after"));
    ASSERT_TRUE(after.ok()) << where << after.status();
    EXPECT_EQ(after->base_offset, 8) << where;
    log.reset();
    env.SimulateCrash();
    log = MustOpen(o);  // nothing half-written was left behind in the log or its index
    EXPECT_EQ(log->log_end_offset(), 9) << where;
    EXPECT_EQ(log->recovered_truncated_bytes(), 0) << where;
  }
}

TEST(LogFault, NoSpaceForTheLogStartFileLeavesThePrefixInPlace) {
  FaultInjectionEnv env;
  auto log = MustOpen(Options(&env, 1024));
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(log->Append(1, Records(2, "p")).ok());
  const size_t segments = log->segment_count();
  env.FailWritesAfter(0);
  absl::Status s = log->DeletePrefixBefore(50);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(log->log_start_offset(), 0);
  EXPECT_EQ(log->segment_count(), segments);
  env.SetSpaceLimit(-1);
  ASSERT_TRUE(log->DeletePrefixBefore(50).ok());
  EXPECT_EQ(log->log_start_offset(), 50);
}

// After a failed fsync the kernel may have dropped the dirty pages: the log cannot know
// what is durable, so it refuses writes until it is reopened (and recovers from disk).
TEST(LogFault, FailedFsyncRefusesWritesUntilReopened) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  auto log = MustOpen(o);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(log->Append(1, Records(1, "ok")).ok());
  env.FailSyncs(true);
  auto failed = log->Append(1, Records(1, "lost?"));
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(failed.status().message().find("fdatasync"), std::string::npos) << failed.status();
  env.FailSyncs(false);
  auto refused = log->Append(1, Records(1, "refused"));
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("until reopened"), std::string::npos)
      << refused.status();
  EXPECT_FALSE(log->Flush().ok());
  EXPECT_FALSE(log->TruncateFrom(1).ok());
  EXPECT_EQ(log->flushed_offset(), 3);
  EXPECT_EQ((*log->Read(2, 1)).front().base_offset, 2);  // reads go on
  EXPECT_FALSE(log->Close().ok());                       // and no clean-shutdown marker is written
  EXPECT_FALSE(env.FileExists("/log/.clean_shutdown"));
  log.reset();
  env.SimulateCrash();
  log = MustOpen(o);
  EXPECT_EQ(log->log_end_offset(), 3);
  EXPECT_TRUE(log->Append(1, Records(1, "again")).ok());
}

// Group commit: while one appender's fsync runs, the others queue behind it and share the
// next one; every Append still returns only once its batch is durable.
TEST(LogFault, ConcurrentAppendersShareFsyncs) {
  FaultInjectionEnv env;
  env.SetSyncDelay(std::chrono::microseconds(1000));
  auto log = MustOpen(Options(&env));
  constexpr int kThreads = 8, kPerThread = 40;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> offsets;
  std::atomic<int> not_durable{0};
  const uint64_t syncs_before = env.file_syncs();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto info = log->Append(1, Records(1, "t" + std::to_string(t)));
        if (!info.ok() || log->flushed_offset() < info->last_offset + 1) ++not_durable;
        if (!info.ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        offsets.insert(info->base_offset);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(not_durable.load(), 0);
  EXPECT_EQ(offsets.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*offsets.rbegin(), kThreads * kPerThread - 1);
  const uint64_t syncs = env.file_syncs() - syncs_before;
  EXPECT_LT(syncs, static_cast<uint64_t>(kThreads * kPerThread / 2))
      << syncs << " fsyncs for " << kThreads * kPerThread << " appends";
  log.reset();
  env.SimulateCrash();
  EXPECT_EQ(MustOpen(Options(&env))->log_end_offset(), kThreads * kPerThread);
}

TEST(LogFault, CrashDuringResetIsFinishedByRecovery) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 1024);
  auto log = MustOpen(o);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(log->Append(1, Records(2, "old")).ok());
  ASSERT_GT(log->segment_count(), 2u);
  log.reset();
  // The state Reset(500) leaves if the machine dies right after recording its intent.
  ASSERT_TRUE(WriteFileAtomically(&env, "/log/.reset", "500").ok());
  log = MustOpen(o);
  EXPECT_EQ(log->log_start_offset(), 500);
  EXPECT_EQ(log->log_end_offset(), 500);
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_FALSE(env.FileExists(kFirstLog));
  EXPECT_FALSE(env.FileExists("/log/.reset"));
  ASSERT_EQ(log->Append(1, Records(1, "new"))->base_offset, 500);
  log.reset();
  env.SimulateCrash();
  log = MustOpen(o);
  EXPECT_EQ(log->log_start_offset(), 500);
  EXPECT_EQ(log->log_end_offset(), 501);
}

TEST(LogFault, CrashDuringPrefixDeletionIsFinishedByRecovery) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 1024);
  auto log = MustOpen(o);
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(log->Append(1, Records(2, "p")).ok());
  const size_t segments = log->segment_count();
  log.reset();
  // The new start was recorded, then the machine died before any segment was deleted.
  ASSERT_TRUE(WriteFileAtomically(&env, "/log/log-start-offset", "61").ok());
  log = MustOpen(o);
  EXPECT_EQ(log->log_start_offset(), 61);
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_FALSE(env.FileExists(kFirstLog));
  EXPECT_EQ(log->Read(60, 1).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log->Read(61, 1)->front().records.size(), 2u);
}

// With a lax flush policy the start can be durable while the records below it were not:
// the log restarts empty at the start rather than presenting start > end.
TEST(LogFault, DurableStartBeyondTheRecoveredEndRestartsTheLogThere) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.flush = FlushPolicy::Never();
  auto log = MustOpen(o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(1, Records(1, "u")).ok());
  ASSERT_TRUE(log->DeletePrefixBefore(10).ok());  // written atomically, so durable
  log.reset();
  env.SimulateCrash();  // the ten records were never fsynced
  log = MustOpen(o);
  EXPECT_EQ(log->log_start_offset(), 10);
  EXPECT_EQ(log->log_end_offset(), 10);
  EXPECT_EQ(log->Append(1, Records(1, "n"))->base_offset, 10);
}

// A stale index left where a new segment is created (its deletion failed when a truncation
// removed the segment) does not leak into the new segment.
TEST(LogFault, NewSegmentIgnoresAStaleIndexOfTheSameName) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env, 1024);
  auto log = MustOpen(o);
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(log->Append(1, Records(2, "a")).ok());
  const size_t segments = log->segment_count();
  ASSERT_GT(segments, 2u);
  log.reset();
  auto children = env.GetChildren("/log");
  std::string last_index;
  for (const std::string& name : *children) {
    if (name.size() > 6 && name.substr(name.size() - 6) == ".index") last_index = name;
  }
  const std::string stale = env.Contents("/log/" + last_index);
  ASSERT_FALSE(stale.empty());
  log = MustOpen(o);
  const int64_t base = std::stoll(last_index.substr(0, 20));
  ASSERT_TRUE(log->TruncateFrom(base).ok());
  EXPECT_EQ(log->segment_count(), segments - 1);
  auto w = env.NewAppendableFile("/log/" + last_index);  // as if its deletion had failed
  ASSERT_TRUE((*w)->Append(stale + stale).ok());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(log->Append(2, Records(2, "b")).ok());
  const std::vector<RecordBatch> expected = ReadAll(*log);
  ASSERT_TRUE(log->Close().ok());
  // The index written while appending equals one rebuilt from the log.
  const std::string written = env.Contents("/log/" + last_index);
  ASSERT_TRUE(env.DeleteFile("/log/" + last_index).ok());
  log = MustOpen(o);
  EXPECT_EQ(env.Contents("/log/" + last_index), written);
  EXPECT_EQ(ReadAll(*log), expected);
}

}  // namespace
}  // namespace keel::storage
