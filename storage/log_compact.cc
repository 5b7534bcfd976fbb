// Log::Compact: the I/O half of log compaction (the pure half is storage/cleaner.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/batch_codec.h"
#include "storage/cleaner.h"
#include "storage/log.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

constexpr int64_t kReadChunkBytes = 1 << 20;

absl::Status Step(const CompactOptions& options, const char* step) {
  return options.before_step ? options.before_step(step) : absl::OkStatus();
}

}  // namespace

absl::Status Log::ForEachBatch(int64_t from, int64_t below,
                               const std::function<void(RecordBatch)>& fn) const {
  int64_t offset = from;
  while (offset < below) {
    auto batches = Read(offset, kReadChunkBytes);
    if (!batches.ok()) return batches.status();
    if (batches->empty()) return absl::OkStatus();
    for (RecordBatch& b : *batches) {
      if (b.base_offset >= below) return absl::OkStatus();
      offset = b.next_offset();
      fn(std::move(b));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CompactResult> Log::Compact(const CompactOptions& options) {
  std::lock_guard<std::mutex> compacting(compact_mu_);
  CompactResult result;
  std::vector<ClosedSegment> closed;
  {
    ReadLock lock(mu_);
    if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
    if (!write_error_.ok()) return write_error_;
    uint64_t total = 0;
    uint64_t dirty = 0;
    for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
      const Segment& seg = *it->second;
      if (seg.next_offset() <= log_start_offset_) continue;  // about to be deleted
      closed.push_back({seg.base_offset(), seg.next_offset(), seg.size_bytes(),
                        seg.max_timestamp_ms()});
      total += seg.size_bytes();
      if (seg.base_offset() >= cleaned_through_offset_) dirty += seg.size_bytes();
    }
    result.dirty_ratio = total == 0 ? 0 : static_cast<double>(dirty) / static_cast<double>(total);
  }
  if (closed.empty() || result.dirty_ratio < options.min_cleanable_dirty_ratio) return result;
  result.ran = true;
  // Compact calls are serialized, so anything in the cleaner directory is a leftover of a
  // failed run.
  if (auto s = options_.env->DeleteDirRecursively(dir_ + "/" + format::kCleanerDir); !s.ok()) {
    return s;
  }

  // Pass 1: the newest offset of every key in the closed segments. Keys whose newest
  // record is in the active segment keep their newest closed one too until it is closed.
  KeyMap keys;
  while (!closed.empty() && closed.front().base_offset < log_start_offset()) {
    closed.erase(closed.begin());  // retention deletes it
  }
  if (closed.empty()) return result;
  if (auto s = ForEachBatch(closed.front().base_offset, closed.back().next_offset,
                            [&keys](RecordBatch b) { keys.Add(b); });
      !s.ok()) {
    return s;
  }
  // Pass 2: rewrite segment by segment.
  for (const ClosedSegment& seg : closed) {
    if (auto s = CleanSegment(seg, keys, options, &result); !s.ok()) return s;
    result.bytes_read += static_cast<int64_t>(seg.size_bytes);
  }
  {
    WriteLock lock(mu_);
    cleaned_through_offset_ = std::max(cleaned_through_offset_, closed.back().next_offset);
  }
  if (auto s = WriteFileAtomically(options_.env, dir_ + "/" + format::kCleanedThroughFile,
                                   std::to_string(closed.back().next_offset));
      !s.ok()) {
    return s;
  }
  return result;
}

absl::Status Log::CleanSegment(const ClosedSegment& seg, const KeyMap& keys,
                               const CompactOptions& options, CompactResult* result) {
  // A segment that went below the log start is left to retention, which deletes it.
  if (seg.base_offset < log_start_offset()) return absl::OkStatus();
  Env* env = options_.env;
  const std::string cleaner_dir = dir_ + "/" + format::kCleanerDir;
  if (auto s = Step(options, "create"); !s.ok()) return s;
  if (auto s = env->CreateDirs(cleaner_dir); !s.ok()) return s;
  auto out = Segment::Create(env, cleaner_dir, seg.base_offset, options_.index_interval_bytes,
                             NowMs());
  if (!out.ok()) return out.status();
  CleanRules rules;
  rules.now_ms = options.now_ms;
  rules.delete_retention_ms = options.delete_retention_ms;
  rules.segment_max_timestamp_ms = seg.max_timestamp_ms;
  CleanStats stats;
  absl::Status write_status;
  std::vector<RecordBatch> chunk;
  auto flush_chunk = [&]() {
    if (chunk.empty() || !write_status.ok()) return;
    write_status = Step(options, "write");
    for (const RecordBatch& b : CleanBatches(chunk, keys, rules, &stats)) {
      if (!write_status.ok()) break;
      const std::string encoded = EncodeBatch(b);
      auto h = DecodeBatchHeader(encoded.data(), encoded.size());
      write_status = h.ok() ? (*out)->Append(encoded, *h) : h.status();
    }
    chunk.clear();
  };
  int64_t chunk_bytes = 0;
  absl::Status read_status = ForEachBatch(seg.base_offset, seg.next_offset, [&](RecordBatch b) {
    chunk_bytes += 64;
    for (const Record& r : b.records) chunk_bytes += static_cast<int64_t>(r.key.size() + r.value.size());
    chunk.push_back(std::move(b));
    if (chunk_bytes >= kReadChunkBytes) {
      flush_chunk();
      chunk_bytes = 0;
    }
  });
  flush_chunk();
  const int64_t removed = stats.records_in - stats.records_kept;
  absl::Status s = read_status.ok() ? write_status : read_status;
  if (s.ok() && (*out)->next_offset() != seg.next_offset) {
    s = absl::InternalError(absl::StrCat("cleaned segment ", seg.base_offset, " ends at ",
                                         (*out)->next_offset(), ", not ", seg.next_offset));
  }
  if (s.ok() && removed == 0) {
    out->reset();  // nothing to remove: keep the original
    return env->DeleteDirRecursively(cleaner_dir);
  }
  if (s.ok()) s = Step(options, "seal");
  if (s.ok()) s = (*out)->Seal();
  if (s.ok()) s = Step(options, "sync-cleaner-dir");
  if (s.ok()) s = env->SyncDir(cleaner_dir);
  const uint64_t new_size = (*out)->size_bytes();
  out->reset();
  if (!s.ok()) return s;  // the original is untouched; Open or the next run cleans up
  {
    WriteLock lock(mu_);
    if (absl::Status swap = SwapInCleanedLocked(seg, options); !swap.ok()) {
      if (absl::IsAborted(swap)) return env->DeleteDirRecursively(cleaner_dir);
      return swap;
    }
  }
  result->segments_rewritten += 1;
  result->bytes_removed += static_cast<int64_t>(seg.size_bytes) - static_cast<int64_t>(new_size);
  result->records_removed += removed;
  result->tombstones_removed += stats.tombstones_removed;
  return env->DeleteDirRecursively(cleaner_dir);
}

absl::Status Log::SwapInCleanedLocked(const ClosedSegment& seg, const CompactOptions& options) {
  // Truncation, retention or Reset may have changed the segment while it was cleaned.
  auto it = segments_.find(seg.base_offset);
  if (closed_ || !write_error_.ok() || it == segments_.end() ||
      std::next(it) == segments_.end() || it->second->next_offset() != seg.next_offset ||
      it->second->size_bytes() != seg.size_bytes) {
    return absl::AbortedError("segment changed while it was cleaned");
  }
  Env* env = options_.env;
  const std::string cleaner_dir = dir_ + "/" + format::kCleanerDir;
  // Order matters for crash safety. The old index goes first: a log with no index gets one
  // rebuilt at open, while a cleaned log beside the old index would need the index checks
  // to notice. The log rename is the commit point (atomic); the index follows it.
  absl::Status s = Step(options, "delete-old-index");
  if (s.ok()) s = env->DeleteFile(Segment::IndexPath(dir_, seg.base_offset));
  if (s.ok()) s = Step(options, "rename-log");
  if (s.ok()) {
    s = env->RenameFile(Segment::LogPath(cleaner_dir, seg.base_offset),
                        Segment::LogPath(dir_, seg.base_offset));
  }
  if (s.ok()) s = Step(options, "rename-index");
  if (s.ok()) {
    s = env->RenameFile(Segment::IndexPath(cleaner_dir, seg.base_offset),
                        Segment::IndexPath(dir_, seg.base_offset));
  }
  if (s.ok()) s = Step(options, "sync-dir");
  if (s.ok()) s = env->SyncDir(dir_);
  // Whatever happened, the in-memory segment must match what the directory now holds.
  auto reopened = Segment::Open(env, dir_, seg.base_offset, options_.index_interval_bytes,
                                /*validate=*/false, NowMs());
  if (!reopened.ok()) return PoisonLocked(reopened.status());
  if ((*reopened)->next_offset() != seg.next_offset) {
    return PoisonLocked(absl::DataLossError(
        absl::StrCat("segment ", seg.base_offset, " ends at ", (*reopened)->next_offset(),
                     " after cleaning, not ", seg.next_offset)));
  }
  it->second = std::move(*reopened);
  PublishOffsetsLocked();
  return s;
}

}  // namespace keel::storage
