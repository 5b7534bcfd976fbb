// Differential test: seeded random operations on the Log, checked after every step against
// a trivial in-memory model (a vector of batches plus a start offset). A failure prints the
// seed and step; rerun with that seed to replay it exactly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "storage/batch_codec.h"
#include "storage/fault_injection_env.h"
#include "storage/log.h"

namespace keel::storage {
namespace {

constexpr char kDir[] = "/model";

int64_t model_now_ms = 0;
int64_t ModelNow() { return model_now_ms; }

struct ModelBatch {
  RecordBatch batch;
  int64_t size_bytes;  // encoded
};

class Model {
 public:
  int64_t start = 0;
  int64_t end = 0;
  std::vector<ModelBatch> batches;  // contiguous; those wholly below `start` may be gone

  void Append(const RecordBatch& b) {
    batches.push_back({b, static_cast<int64_t>(EncodeBatch(b).size())});
    end = b.next_offset();
  }
  // Index of the batch holding `offset`, or -1.
  int Find(int64_t offset) const {
    for (size_t i = 0; i < batches.size(); ++i) {
      if (batches[i].batch.base_offset <= offset && offset < batches[i].batch.next_offset()) {
        return static_cast<int>(i);
      }
    }
    return -1;
  }
  void Restart(int64_t at) {
    batches.clear();
    start = end = at;
  }
  // The log's truncation rule (log.h): batch granularity, restart when nothing is left.
  void TruncateFrom(int64_t offset) {
    if (offset >= end) return;
    if (offset <= start) return Restart(offset);
    int i = Find(offset);
    if (batches[i].batch.base_offset <= start) return Restart(start);
    end = batches[i].batch.base_offset;
    batches.resize(i);
  }
  // What survives a crash that left the log ending at `new_end`.
  void CutTo(int64_t new_end) {
    while (!batches.empty() && batches.back().batch.next_offset() > new_end) batches.pop_back();
    end = new_end;
    if (batches.empty()) start = new_end;
  }
};

struct Config {
  LogOptions options;
  bool retention = false;
};

Config RandomConfig(std::mt19937_64& rng, FaultInjectionEnv* env) {
  Config c;
  LogOptions& o = c.options;
  o.env = env;
  o.segment_size_bytes = 512 + static_cast<int64_t>(rng() % 4096);
  o.index_interval_bytes = 32 + static_cast<int64_t>(rng() % 1024);
  o.initial_offset = static_cast<int64_t>(rng() % 3) * 1000;
  o.now_ms = &ModelNow;
  o.segment_ms = 50 + static_cast<int64_t>(rng() % 500);
  switch (rng() % 3) {
    case 0:
      o.flush = FlushPolicy::EveryBatch();
      break;
    case 1:
      o.flush = FlushPolicy::Every(1 + static_cast<int64_t>(rng() % 5), 0);
      break;
    default:
      o.flush = FlushPolicy::Never();
  }
  if (rng() % 2) {
    c.retention = true;
    o.retention_bytes = 2048 + static_cast<int64_t>(rng() % 8192);
    o.retention_ms = 200 + static_cast<int64_t>(rng() % 2000);
  }
  return c;
}

// Timestamps grow log-wide, except in seeds with skewed clocks, where a batch may carry
// timestamps up to 300 ms in the past.
bool skewed_clocks = false;

std::vector<Record> RandomRecords(std::mt19937_64& rng, int64_t first_ts_ms) {
  std::vector<Record> out(1 + rng() % 5);
  const int64_t skew_ms = skewed_clocks ? static_cast<int64_t>(rng() % 300) : 0;
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].key = "k" + std::to_string(rng() % 1000);
    out[i].value = std::string(rng() % 120, static_cast<char>('a' + rng() % 26));
    if (rng() % 3 == 0) out[i].headers.push_back({"h" + std::to_string(i), "v"});
    out[i].timestamp_ms = first_ts_ms - skew_ms + static_cast<int64_t>(i);
  }
  return out;
}

// Checks a Read(offset, max_bytes) answer against the model: the batch holding `offset`
// first, then as many following batches as fit in max_bytes (at least one), all intact.
void CheckRead(const Model& m, int64_t offset, int64_t max_bytes,
               const absl::StatusOr<std::vector<RecordBatch>>& got, const std::string& where) {
  if (offset < m.start || offset > m.end) {
    ASSERT_EQ(got.status().code(), absl::StatusCode::kOutOfRange) << where << got.status();
    return;
  }
  ASSERT_TRUE(got.ok()) << where << got.status();
  if (offset == m.end) {
    ASSERT_TRUE(got->empty()) << where;
    return;
  }
  int i = m.Find(offset);
  ASSERT_GE(i, 0) << where;
  ASSERT_FALSE(got->empty()) << where;
  int64_t bytes = 0;
  for (size_t k = 0; k < got->size(); ++k, ++i) {
    ASSERT_LT(static_cast<size_t>(i), m.batches.size()) << where;
    ASSERT_EQ((*got)[k], m.batches[i].batch) << where << " batch " << k;
    bytes += m.batches[i].size_bytes;
  }
  ASSERT_TRUE(got->size() == 1 || bytes <= max_bytes) << where;
  if (static_cast<size_t>(i) < m.batches.size()) {
    ASSERT_GT(bytes + m.batches[i].size_bytes, max_bytes) << where << ": stopped early";
  }
}

void RunSeed(uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  FaultInjectionEnv env;
  model_now_ms = 1000;
  Config config = RandomConfig(rng, &env);
  skewed_clocks = rng() % 3 == 0;
  const LogOptions& o = config.options;
  auto opened = Log::Open(kDir, o);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<Log> log = std::move(*opened);
  Model m;
  m.Restart(o.initial_offset);
  int64_t next_ts_ms = 1;

  for (int step = 0; step < steps; ++step) {
    const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    model_now_ms += static_cast<int64_t>(rng() % 20);
    const int kind = static_cast<int>(rng() % 100);
    if (std::getenv("KEEL_MODEL_TRACE") != nullptr) {
      std::fprintf(stderr, "%s kind %d start %ld end %ld flushed %ld segs %zu\n", where.c_str(),
                   kind, static_cast<long>(m.start), static_cast<long>(m.end),
                   static_cast<long>(log->flushed_offset()), log->segment_count());
    }
    if (kind < 40) {  // leader append
      auto records = RandomRecords(rng, next_ts_ms);
      next_ts_ms += 10;
      int32_t epoch = static_cast<int32_t>(rng() % 7);
      auto info = log->Append(epoch, records);
      ASSERT_TRUE(info.ok()) << where << info.status();
      ASSERT_EQ(info->base_offset, m.end) << where;
      RecordBatch b{m.end, epoch, records.back().timestamp_ms, records};  // the largest
      ASSERT_EQ(info->size_bytes, static_cast<int64_t>(EncodeBatch(b).size())) << where;
      m.Append(b);
    } else if (kind < 47) {  // follower append, sometimes at the wrong offset
      RecordBatch b{m.end, static_cast<int32_t>(rng() % 7), 0, RandomRecords(rng, next_ts_ms)};
      b.max_timestamp_ms = b.records.back().timestamp_ms;
      next_ts_ms += 10;
      if (rng() % 4 == 0) b.base_offset += 1 + static_cast<int64_t>(rng() % 3);
      auto info = log->AppendBatch(b);
      if (b.base_offset != m.end) {
        ASSERT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << where;
      } else {
        ASSERT_TRUE(info.ok()) << where << info.status();
        m.Append(b);
      }
    } else if (kind < 70) {  // read
      int64_t offset = m.start - 2 + static_cast<int64_t>(rng() % (m.end - m.start + 5));
      int64_t max_bytes = static_cast<int64_t>(rng() % 1500);
      CheckRead(m, offset, max_bytes, log->Read(offset, max_bytes), where);
    } else if (kind < 75) {  // epoch and timestamp lookups
      int64_t offset = m.start - 1 + static_cast<int64_t>(rng() % (m.end - m.start + 2));
      auto epoch = log->EpochAt(offset);
      if (offset < m.start || offset >= m.end) {
        ASSERT_EQ(epoch.status().code(), absl::StatusCode::kOutOfRange) << where;
      } else {
        ASSERT_TRUE(epoch.ok()) << where << epoch.status();
        ASSERT_EQ(*epoch, m.batches[m.Find(offset)].batch.leader_epoch) << where;
      }
      int64_t t = static_cast<int64_t>(rng() % static_cast<uint64_t>(next_ts_ms + 5));
      int64_t want = m.end;
      for (const ModelBatch& b : m.batches) {
        if (b.batch.next_offset() > m.start && b.batch.max_timestamp_ms >= t) {
          want = std::max(b.batch.base_offset, m.start);
          break;
        }
      }
      auto found = log->OffsetForTimestamp(t);
      ASSERT_TRUE(found.ok()) << where << found.status();
      ASSERT_EQ(*found, want) << where << " t=" << t;
    } else if (kind < 83) {  // truncate the suffix, anywhere
      int64_t offset = m.start - 1 + static_cast<int64_t>(rng() % (m.end - m.start + 3));
      absl::Status s = log->TruncateFrom(offset);
      if (offset < 0) {
        ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << where;
      } else {
        ASSERT_TRUE(s.ok()) << where << s;
        m.TruncateFrom(offset);
      }
    } else if (kind < 88) {  // delete the prefix
      int64_t offset = m.start + static_cast<int64_t>(rng() % (m.end - m.start + 2));
      absl::Status s = log->DeletePrefixBefore(offset);
      if (offset > m.end) {
        ASSERT_EQ(s.code(), absl::StatusCode::kOutOfRange) << where;
      } else {
        ASSERT_TRUE(s.ok()) << where << s;
        m.start = std::max(m.start, offset);
      }
    } else if (kind < 91) {  // retention
      const int64_t before_bytes = log->size_bytes();
      ASSERT_TRUE(log->ApplyRetention(model_now_ms).ok()) << where;
      const int64_t new_start = log->log_start_offset();
      ASSERT_GE(new_start, m.start) << where;
      ASSERT_LE(new_start, m.end) << where;
      if (!config.retention) {
        ASSERT_EQ(new_start, m.start) << where;
      }
      if (new_start > m.start) {
        // Only whole segments went, each either over the size limit or wholly expired.
        bool expired = true;
        for (const ModelBatch& b : m.batches) {
          if (b.batch.next_offset() > m.start && b.batch.base_offset < new_start &&
              b.batch.max_timestamp_ms >= model_now_ms - o.retention_ms) {
            expired = false;
          }
        }
        ASSERT_TRUE(expired || before_bytes > o.retention_bytes) << where;
        m.start = new_start;
      }
    } else if (kind < 93) {  // snapshot install
      int64_t at = m.end + static_cast<int64_t>(rng() % 50);
      ASSERT_TRUE(log->Reset(at).ok()) << where;
      m.Restart(at);
    } else if (kind < 95) {
      ASSERT_TRUE(log->Flush().ok()) << where;
      ASSERT_EQ(log->flushed_offset(), m.end) << where;
    } else {  // reopen: clean, or a crash that may tear the unsynced tail
      const int64_t durable = log->flushed_offset();
      const int mode = static_cast<int>(rng() % 3);
      if (mode == 0) {
        ASSERT_TRUE(log->Close().ok()) << where;
      }
      log.reset();
      if (mode == 2) env.SimulateCrash(rng() % 300, rng() % 2 == 0);
      opened = Log::Open(kDir, o);
      ASSERT_TRUE(opened.ok()) << where << opened.status();
      log = std::move(*opened);
      const int64_t end = log->log_end_offset();
      if (mode == 2) {
        ASSERT_GE(end, std::max(durable, m.start)) << where << ": lost fsynced data";
        ASSERT_LE(end, m.end) << where;
        m.CutTo(end);
      }
      CheckRead(m, m.start, int64_t{1} << 30, log->Read(m.start, int64_t{1} << 30),
                where + " after reopen");
    }
    // Invariants after every step.
    ASSERT_EQ(log->log_start_offset(), m.start) << where << " kind " << kind;
    ASSERT_EQ(log->log_end_offset(), m.end) << where << " kind " << kind;
    ASSERT_LE(log->flushed_offset(), m.end) << where;
    if (o.flush.every_batch) {
      ASSERT_EQ(log->flushed_offset(), m.end) << where;
    }
  }
  ASSERT_TRUE(log->Close().ok());
}

// KEEL_MODEL_SEEDS=n runs more seeds (3000 pass in ~6 s); KEEL_MODEL_TRACE=1 prints steps.
uint64_t SeedCount() {
  const char* n = std::getenv("KEEL_MODEL_SEEDS");
  return n != nullptr ? std::strtoull(n, nullptr, 10) : 100;
}

TEST(LogModel, MatchesTrivialModelUnderRandomOperations) {
  for (uint64_t seed = 1; seed <= SeedCount(); ++seed) {
    RunSeed(seed, 400);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace keel::storage
