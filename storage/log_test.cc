#include "storage/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "storage/batch_codec.h"
#include "storage/crc32c.h"
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

TEST(Crc32c, MatchesStandardCheckValue) {
  EXPECT_EQ(crc32c::Value("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c::Value("", 0), 0u);
  std::string a = "hello ", b = "world";
  EXPECT_EQ(crc32c::Extend(crc32c::Value(a.data(), a.size()), b.data(), b.size()),
            crc32c::Value("hello world", 11));
}

TEST(BatchCodec, RoundTripsAndDetectsCorruption) {
  RecordBatch batch;
  batch.base_offset = 42;
  batch.leader_epoch = 7;
  batch.records = Records(3, "a");
  std::string encoded = EncodeBatch(batch);
  auto decoded = DecodeBatch(encoded.data(), encoded.size());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->records, batch.records);
  EXPECT_EQ(decoded->leader_epoch, 7);
  EXPECT_EQ(decoded->base_offset, 42);
  EXPECT_EQ(decoded->max_timestamp_ms, 1002);
  for (size_t i = format::kCrcStart; i < encoded.size(); i += 7) {
    std::string bad = encoded;
    bad[i] ^= 0x10;
    EXPECT_FALSE(DecodeBatch(bad.data(), bad.size()).ok()) << "flip at " << i;
  }
  EXPECT_FALSE(DecodeBatch(encoded.data(), encoded.size() - 1).ok());
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

// Differential test: seeded random operations against a trivial in-memory model.
TEST(Log, MatchesTrivialModelUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    std::mt19937_64 rng(seed);
    FaultInjectionEnv env;
    LogOptions o = Options(&env);
    o.segment_size_bytes = 1024 + rng() % 4096;
    o.index_interval_bytes = 64 + rng() % 1024;
    auto log = OpenLog(&env, o);
    std::map<int64_t, std::pair<int32_t, Record>> model;  // offset -> (epoch, record)
    std::set<int64_t> boundaries;                         // batch base offsets
    int64_t start = 0, end = 0;
    for (int op = 0; op < 300; ++op) {
      int kind = static_cast<int>(rng() % 100);
      if (kind < 55) {
        int n = 1 + static_cast<int>(rng() % 5);
        int32_t epoch = static_cast<int32_t>(rng() % 10);
        auto records = Records(n, "s" + std::to_string(seed) + "o" + std::to_string(op),
                               static_cast<int>(rng() % 100));
        auto info = log->Append(epoch, records);
        ASSERT_TRUE(info.ok()) << info.status();
        ASSERT_EQ(info->base_offset, end);
        boundaries.insert(end);
        for (int i = 0; i < n; ++i) model[end + i] = {epoch, records[i]};
        end += n;
      } else if (kind < 80 && end > start) {
        int64_t offset = start + static_cast<int64_t>(rng() % (end - start));
        int64_t max_bytes = 1 + static_cast<int64_t>(rng() % 2000);
        auto read = log->Read(offset, max_bytes);
        ASSERT_TRUE(read.ok()) << "seed " << seed << " offset " << offset << ": " << read.status();
        ASSERT_FALSE(read->empty());
        ASSERT_LE((*read)[0].base_offset, offset);
        ASSERT_GT((*read)[0].next_offset(), offset);
        int64_t expect = (*read)[0].base_offset;
        for (const RecordBatch& b : *read) {
          ASSERT_EQ(b.base_offset, expect);
          for (size_t i = 0; i < b.records.size(); ++i) {
            int64_t at = b.base_offset + static_cast<int64_t>(i);
            if (at < start) continue;
            ASSERT_EQ(b.leader_epoch, model[at].first) << "seed " << seed << " at " << at;
            ASSERT_EQ(b.records[i], model[at].second) << "seed " << seed << " at " << at;
          }
          expect = b.next_offset();
        }
      } else if (kind < 88 && end > start) {
        auto it = boundaries.lower_bound(start + static_cast<int64_t>(rng() % (end - start + 1)));
        if (it == boundaries.end()) continue;
        int64_t cut = *it;
        ASSERT_TRUE(log->TruncateFrom(cut).ok());
        boundaries.erase(it, boundaries.end());
        model.erase(model.lower_bound(cut), model.end());
        end = cut;
        if (end <= start) start = end;
      } else if (kind < 93) {
        int64_t cut = start + static_cast<int64_t>(rng() % (end - start + 1));
        ASSERT_TRUE(log->DeletePrefixBefore(cut).ok());
        start = std::max(start, cut);
      } else if (kind < 97) {
        // Reopen after a clean close or a crash (every batch was fsynced, so nothing is lost).
        if (rng() % 2) {
          ASSERT_TRUE(log->Close().ok());
        }
        log.reset();
        if (rng() % 2) env.SimulateCrash();
        log = OpenLog(&env, o);
      } else {
        ASSERT_TRUE(log->ApplyRetention(0).ok());  // no limits set: a no-op
      }
      ASSERT_EQ(log->log_end_offset(), end) << "seed " << seed << " op " << op << " kind " << kind;
      ASSERT_EQ(log->log_start_offset(), start) << "seed " << seed << " op " << op;
    }
  }
}

// Crash with the last batch torn at every byte boundary: the log recovers to exactly the
// batches before it, and appends continue from there.
TEST(Log, TornLastBatchAtEveryByteIsTruncatedOnRecovery) {
  LogOptions base;
  base.segment_size_bytes = 1 << 20;
  base.flush.every_batch = false;
  std::string last_batch = EncodeBatch(RecordBatch{10, 1, 0, Records(3, "last")});
  for (uint64_t cut = 0; cut < last_batch.size(); ++cut) {
    FaultInjectionEnv env;
    LogOptions o = base;
    o.env = &env;
    auto log = OpenLog(&env, o);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(1, Records(2, "ok")).ok());
    ASSERT_TRUE(log->Flush().ok());
    ASSERT_TRUE(log->Append(1, Records(3, "last")).ok());  // not fsynced
    log.reset();
    env.SimulateCrash(cut);
    log = OpenLog(&env, o);
    ASSERT_EQ(log->log_end_offset(), 10) << "cut " << cut;
    auto all = log->Read(0, 1 << 20);
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_EQ(all->size(), 5u);
    auto again = log->Append(2, Records(1, "after"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->base_offset, 10);
  }
}

TEST(Log, BitFlipInActiveTailIsTruncatedOnUncleanRecovery) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(1, Records(1, "b")).ok());
  uint64_t size = *env.FileSize("/log/00000000000000000000.log");
  log.reset();
  env.FlipBit("/log/00000000000000000000.log", size - 5, 3);  // inside the last batch
  log = OpenLog(&env, o);
  EXPECT_EQ(log->log_end_offset(), 9);
  EXPECT_TRUE(log->Read(8, 100).ok());
}

TEST(Log, BitFlipInClosedSegmentIsDataLossAndNothingPastItIsServed) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(log->Append(1, Records(1, "c")).ok());
  ASSERT_GT(log->segment_count(), 2u);
  ASSERT_TRUE(log->Close().ok());
  // Corrupt a record body in the middle of the first (closed) segment.
  std::string path = "/log/00000000000000000000.log";
  env.FlipBit(path, *env.FileSize(path) / 2, 1);
  log = OpenLog(&env, o);
  auto read = log->Read(0, 1 << 20);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kDataLoss) << read.status();
  // Offsets past the corruption are refused too, even those in later, healthy segments.
  EXPECT_EQ(log->Read(log->log_end_offset() - 1, 100).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(log->Read(0, 1).ok());  // before the corruption is still served
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

TEST(Log, NoSpaceIsAClearErrorAndLeavesTheLogConsistent) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  auto log = OpenLog(&env, o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(log->Append(1, Records(1, "n")).ok());
  env.SetSpaceLimit(static_cast<int64_t>(*env.FileSize("/log/00000000000000000000.log")) + 150);
  absl::Status full;
  for (int i = 0; i < 10 && full.ok(); ++i) full = log->Append(1, Records(1, "n", 200)).status();
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full;
  int64_t end = log->log_end_offset();
  auto all = log->Read(0, 1 << 20);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->back().next_offset(), end);
  env.SetSpaceLimit(-1);
  auto after = log->Append(1, Records(1, "after"));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->base_offset, end);
  log.reset();
  log = OpenLog(&env, o);  // unclean reopen validates: no half batch was left behind
  EXPECT_EQ(log->log_end_offset(), end + 1);
}

TEST(Log, ConcurrentAppendersShareFsyncs) {
  FaultInjectionEnv env;
  LogOptions o = Options(&env);
  o.segment_size_bytes = 1 << 20;
  auto log = OpenLog(&env, o);
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<int64_t> offsets;
  uint64_t syncs_before = env.file_syncs();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto info = log->Append(1, Records(1, "t" + std::to_string(t)));
        ASSERT_TRUE(info.ok());
        ASSERT_GE(log->flushed_offset(), info->last_offset + 1);  // durable on return
        std::lock_guard<std::mutex> lock(mu);
        offsets.insert(info->base_offset);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(offsets.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_EQ(*offsets.rbegin(), kThreads * kPerThread - 1);
  EXPECT_LE(env.file_syncs() - syncs_before, static_cast<uint64_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace keel::storage
