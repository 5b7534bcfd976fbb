#include "storage/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/batch_codec.h"
#include "storage/fault_injection_env.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

constexpr char kDir[] = "/log";

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

LogOptions Options(FaultInjectionEnv* env) {
  LogOptions o;
  o.env = env;
  o.segment_size_bytes = 4096;
  o.index_interval_bytes = 512;
  return o;
}

std::unique_ptr<Log> OpenLog(FaultInjectionEnv* /*env*/, LogOptions o) {
  auto log = Log::Open(kDir, o);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : nullptr;
}

TEST(Log, AppendAssignsOffsetsAndReadReturnsWholeBatches) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.initial_offset = 1;
  auto log = OpenLog(&env, o);
  auto a = log->Append(3, Records(2, "a"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->base_offset, 1);
  EXPECT_EQ(a->last_offset, 2);
  auto b = log->Append(4, Records(3, "b"));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->base_offset, 3);
  EXPECT_EQ(log->log_end_offset(), 6);
  auto read = log->Read(4, 1);  // inside batch b: the whole batch comes back
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].base_offset, 3);
  EXPECT_EQ((*read)[0].leader_epoch, 4);
  EXPECT_EQ((*read)[0].records, Records(3, "b"));
  EXPECT_EQ(*log->EpochAt(2), 3);
  EXPECT_TRUE(log->Read(6, 100)->empty());
  EXPECT_EQ(log->Read(7, 100).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log->Read(0, 100).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(log->Append(1, {}).status().code(), absl::StatusCode::kInvalidArgument);
  RecordBatch wrong;
  wrong.base_offset = 99;
  wrong.records = Records(1, "w");
  EXPECT_EQ(log->AppendBatch(wrong).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Log, ReadIsIndexLookupPlusShortScanNotASegmentScan) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 8 << 20;
  o.index_interval_bytes = 4096;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 4000; ++i) ASSERT_TRUE(log->Append(1, Records(1, "r")).ok());
  ASSERT_EQ(log->segment_count(), 1u);
  const int64_t segment_bytes = log->size_bytes();
  ASSERT_GT(segment_bytes, 50 * 4096);
  for (int64_t offset : {0, 1234, 2999, 3999}) {
    uint64_t before = env.bytes_read();
    auto read = log->Read(offset, 1);
    ASSERT_TRUE(read.ok());
    ASSERT_EQ((*read)[0].base_offset, offset);
    uint64_t bytes = env.bytes_read() - before;
    // One index interval of headers at most, plus the batch itself.
    EXPECT_LT(bytes, 2 * 4096u) << "offset " << offset << " read " << bytes << " of "
                                << segment_bytes << " bytes";
  }
}

TEST(Log, OffsetForTimestampIsIndexLookupPlusShortScan) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 8 << 20;
  o.index_interval_bytes = 4096;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 4000; ++i) {
    std::vector<Record> r = Records(1, "t");
    r[0].timestamp_ms = 10 * i;
    ASSERT_TRUE(log->Append(1, r).ok());
  }
  ASSERT_EQ(log->segment_count(), 1u);
  ASSERT_TRUE(log->Close().ok());
  log = OpenLog(&env, o);  // clean open: the timestamps come from the index
  for (int64_t t : {0, 5, 12340, 29991, 39990}) {
    uint64_t before = env.bytes_read();
    auto offset = log->OffsetForTimestamp(t);
    ASSERT_TRUE(offset.ok()) << offset.status();
    EXPECT_EQ(*offset, (t + 9) / 10) << t;
    EXPECT_LT(env.bytes_read() - before, 2 * 4096u) << "timestamp " << t;
  }
  EXPECT_EQ(*log->OffsetForTimestamp(39991), 4000);  // none: the log end
}

TEST(Log, RollsBySizeWithTwentyDigitNamesAndReadsAcrossSegments) {
  FaultInjectionEnv env;
  auto log = OpenLog(&env, Options(&env));
  uint64_t dir_syncs = env.sync_dir_calls();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(log->Append(1, Records(2, "x")).ok());
  EXPECT_GT(log->segment_count(), 5u);
  EXPECT_GE(env.sync_dir_calls(), dir_syncs + log->segment_count() - 1);
  EXPECT_TRUE(env.FileExists("/log/00000000000000000000.log"));
  EXPECT_TRUE(env.FileExists("/log/00000000000000000000.index"));
  auto all = log->Read(0, 1 << 20);
  ASSERT_TRUE(all.ok());
  int64_t next = 0;
  for (const RecordBatch& b : *all) {
    EXPECT_EQ(b.base_offset, next);
    next = b.next_offset();
  }
  EXPECT_EQ(next, 600);
}

int64_t fake_now_ms = 0;
int64_t FakeNow() { return fake_now_ms; }

TEST(Log, RollsByAgeAndRetainsByTimeAndSize) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  o.segment_ms = 1000;
  o.retention_ms = 5000;
  o.now_ms = &FakeNow;
  fake_now_ms = 1000;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 10; ++i) {
    fake_now_ms += 1000;
    std::vector<Record> r = Records(1, "t");
    r[0].timestamp_ms = fake_now_ms;
    ASSERT_TRUE(log->Append(1, r).ok());
  }
  EXPECT_EQ(log->segment_count(), 10u);  // one per second of age
  ASSERT_TRUE(log->ApplyRetention(fake_now_ms).ok());
  // Segments whose newest record is older than 5 s (before t=6000) are gone; offset 4,
  // written at exactly t=6000, stays.
  EXPECT_EQ(log->log_start_offset(), 4);
  EXPECT_EQ(log->Read(3, 100).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*log->Read(4, 1))[0].base_offset, 4);
  EXPECT_EQ(*log->OffsetForTimestamp(8500), 7);
}

TEST(Log, SetSegmentRollChangesWhenTheNextAppendRolls) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  o.now_ms = &FakeNow;
  fake_now_ms = 1000;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  // Smaller than what the active segment already holds: the next append rolls.
  ASSERT_TRUE(log->SetSegmentRoll(256, o.segment_ms).ok());
  ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_EQ(log->segment_count(), 2u);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_GE(log->segment_count(), 4u);
  // Age: with segment_ms 50, an append 50 ms after the active segment began rolls.
  ASSERT_TRUE(log->SetSegmentRoll(1 << 20, 50).ok());
  const size_t before = log->segment_count();
  ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());  // the active segment may hold more now
  fake_now_ms += 49;
  ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_EQ(log->segment_count(), before);
  fake_now_ms += 50;
  ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_EQ(log->segment_count(), before + 1);
  // Out of range: refused, nothing changes.
  EXPECT_TRUE(absl::IsInvalidArgument(log->SetSegmentRoll(10, 50)));
  EXPECT_TRUE(absl::IsInvalidArgument(log->SetSegmentRoll(int64_t{8} << 30, 50)));
  EXPECT_TRUE(absl::IsInvalidArgument(log->SetSegmentRoll(1 << 20, 0)));
  ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  EXPECT_EQ(log->segment_count(), before + 1);
}

TEST(Log, RetentionBySizeKeepsAtMostTheLimit) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.retention_bytes = 3 * 4096;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(log->Append(1, Records(1, "s")).ok());
  ASSERT_TRUE(log->ApplyRetention(0).ok());
  EXPECT_LE(log->size_bytes(), 3 * 4096 + 4096);
  EXPECT_GT(log->log_start_offset(), 0);
  EXPECT_TRUE(log->Read(log->log_start_offset(), 1).ok());
}

TEST(Log, TruncateDropsSuffixAtBatchBoundary) {
  FaultInjectionEnv env;
  auto log = OpenLog(&env, Options(&env));
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(log->Append(i, Records(2, "a")).ok());
  ASSERT_TRUE(log->TruncateFrom(40).ok());  // a batch boundary
  EXPECT_EQ(log->log_end_offset(), 40);
  ASSERT_TRUE(log->TruncateFrom(31).ok());  // inside batch [30, 31]: the batch goes
  EXPECT_EQ(log->log_end_offset(), 30);
  EXPECT_EQ(*log->EpochAt(29), 14);
  auto next = log->Append(99, Records(1, "new"));
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->base_offset, 30);
  log.reset();  // crash without Close
  log = OpenLog(&env, Options(&env));
  EXPECT_EQ(log->log_end_offset(), 31);
  EXPECT_EQ(*log->EpochAt(30), 99);
}

TEST(Log, DeletePrefixDropsWholeSegmentsAndSurvivesReopen) {
  FaultInjectionEnv env;
  auto log = OpenLog(&env, Options(&env));
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log->Append(1, Records(2, "p")).ok());
  size_t segments = log->segment_count();
  ASSERT_TRUE(log->DeletePrefixBefore(101).ok());
  EXPECT_LT(log->segment_count(), segments);
  EXPECT_EQ(log->log_start_offset(), 101);
  EXPECT_EQ(log->Read(100, 10).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(log->Read(101, 10).ok());
  ASSERT_TRUE(log->Close().ok());
  log = OpenLog(&env, Options(&env));
  EXPECT_EQ(log->log_start_offset(), 101);
  EXPECT_EQ(log->DeletePrefixBefore(1000).code(), absl::StatusCode::kOutOfRange);
  ASSERT_TRUE(log->Reset(500).ok());
  EXPECT_EQ(log->log_start_offset(), 500);
  EXPECT_EQ(log->log_end_offset(), 500);
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST(Log, MissingOrCorruptIndexIsRebuilt) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(log->Append(1, Records(1, "i")).ok());
  ASSERT_TRUE(log->Close().ok());
  std::string index = "/log/00000000000000000000.index";
  std::string good = env.Contents(index);
  ASSERT_GT(good.size(), 8u);
  env.CutFile(index, good.size() - 3);  // torn
  log = OpenLog(&env, o);
  EXPECT_EQ(env.Contents(index), good);
  EXPECT_EQ((*log->Read(150, 1))[0].base_offset, 150);
  ASSERT_TRUE(log->Close().ok());
  ASSERT_TRUE(env.DeleteFile(index).ok());  // missing
  log = OpenLog(&env, o);
  EXPECT_EQ(env.Contents(index), good);
}

TEST(Log, CleanShutdownMarkerSkipsValidation) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(log->Append(1, Records(1, "m")).ok());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_TRUE(env.FileExists("/log/.clean_shutdown"));
  uint64_t before = env.bytes_read();
  log = OpenLog(&env, o);
  uint64_t clean_bytes = env.bytes_read() - before;
  EXPECT_FALSE(env.FileExists("/log/.clean_shutdown"));
  log.reset();  // crash: no marker
  before = env.bytes_read();
  log = OpenLog(&env, o);
  uint64_t unclean_bytes = env.bytes_read() - before;
  uint64_t segment = *env.FileSize("/log/00000000000000000000.log");
  EXPECT_LT(clean_bytes, segment / 4);
  EXPECT_GE(unclean_bytes, segment);  // every batch CRC-checked
}

TEST(Log, ReopenedSegmentAgesFromItsFirstBatch) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  o.segment_ms = 1000;
  o.now_ms = &FakeNow;
  fake_now_ms = 10'000;
  auto log = OpenLog(&env, o);
  std::vector<Record> r = Records(1, "a");
  r[0].timestamp_ms = fake_now_ms;
  ASSERT_TRUE(log->Append(1, r).ok());
  ASSERT_TRUE(log->Close().ok());
  fake_now_ms += 1500;  // restarted after the segment reached segment_ms
  log = OpenLog(&env, o);
  r[0].timestamp_ms = fake_now_ms;
  ASSERT_TRUE(log->Append(1, r).ok());
  EXPECT_EQ(log->segment_count(), 2u);
}

TEST(Log, FlushEveryNBatchesAdvancesTheFlushedOffsetInSteps) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.flush = FlushPolicy::Every(3, 0);
  auto log = OpenLog(&env, o);
  std::vector<int64_t> flushed;
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(log->Append(1, Records(1, "f")).ok());
    flushed.push_back(log->flushed_offset());
  }
  EXPECT_EQ(flushed, (std::vector<int64_t>{0, 0, 3, 3, 3, 6, 6}));
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_EQ(log->flushed_offset(), 7);
}

TEST(Log, BadArgumentsAreInvalidArgument) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  auto log = OpenLog(&env, o);
  ASSERT_TRUE(log->Append(1, Records(2, "a")).ok());
  EXPECT_EQ(log->TruncateFrom(-1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log->Reset(-5).code(), absl::StatusCode::kInvalidArgument);
  std::vector<Record> huge(1);
  huge[0].value.assign(format::kMaxBatchBytes, 'x');
  auto big = log->Append(1, std::move(huge));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument) << big.status();
  EXPECT_EQ(log->log_end_offset(), 2);
  LogOptions bad = o;
  bad.segment_size_bytes = int64_t{8} << 30;  // index positions are u32
  EXPECT_EQ(Log::Open("/other", bad).status().code(), absl::StatusCode::kInvalidArgument);
  bad = o;
  bad.index_interval_bytes = 0;
  EXPECT_EQ(Log::Open("/other", bad).status().code(), absl::StatusCode::kInvalidArgument);
}

// DeletePrefixBefore may put the start inside a batch; truncating inside that batch
// leaves nothing above the start, so the log restarts empty there.
TEST(Log, TruncatingTheBatchThatStraddlesTheStartRestartsTheLogAtTheStart) {
  FaultInjectionEnv env;
  auto log = OpenLog(&env, Options(&env));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(log->Append(1, Records(5, "s")).ok());
  ASSERT_TRUE(log->DeletePrefixBefore(12).ok());      // inside batch [10, 14]
  EXPECT_EQ((*log->Read(12, 1))[0].base_offset, 10);  // whole batches, as always
  ASSERT_TRUE(log->TruncateFrom(13).ok());
  EXPECT_EQ(log->log_start_offset(), 12);
  EXPECT_EQ(log->log_end_offset(), 12);
  EXPECT_EQ(log->Append(2, Records(1, "n"))->base_offset, 12);
}

// Readers run beside appenders (and rolls): every read sees whole, contiguous, intact
// batches holding the offset asked for.
TEST(Log, ConcurrentReadersSeeWholeBatchesWhileAppendsRoll) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 2048;
  o.flush = FlushPolicy::Never();
  auto log = OpenLog(&env, o);
  ASSERT_TRUE(log->Append(0, Records(1, "seed")).ok());
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 300; ++i) {
        if (!log->Append(w, Records(1 + i % 3, "w" + std::to_string(w))).ok()) ++bad;
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(r);
      while (!done) {
        const int64_t end = log->log_end_offset();
        const int64_t offset = static_cast<int64_t>(rng() % static_cast<uint64_t>(end));
        auto read = log->Read(offset, 1 + static_cast<int64_t>(rng() % 4000));
        if (!read.ok() || read->empty() || (*read)[0].base_offset > offset ||
            (*read)[0].next_offset() <= offset) {
          ++bad;
          continue;
        }
        for (size_t i = 1; i < read->size(); ++i) {
          if ((*read)[i].base_offset != (*read)[i - 1].next_offset()) ++bad;
        }
      }
    });
  }
  threads[0].join();
  threads[1].join();
  done = true;
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(log->segment_count(), 10u);
}

}  // namespace
}  // namespace keel::storage
