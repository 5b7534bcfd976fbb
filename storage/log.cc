#include "storage/log.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/batch_codec.h"
#include "common/check.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

// "<20 digits><suffix>" -> base offset.
bool ParseSegmentFileName(const std::string& name, const std::string& suffix, int64_t* base) {
  if (name.size() != format::kBaseOffsetDigits + suffix.size() ||
      name.compare(format::kBaseOffsetDigits, suffix.size(), suffix) != 0) {
    return false;
  }
  return absl::SimpleAtoi(name.substr(0, format::kBaseOffsetDigits), base);
}

}  // namespace

Log::Log(std::string dir, LogOptions options)
    : dir_(std::move(dir)),
      options_(options),
      segment_size_bytes_(options.segment_size_bytes),
      segment_ms_(options.segment_ms) {}

Log::~Log() = default;

int64_t Log::NowMs() const {
  if (options_.now_ms != nullptr) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::unique_ptr<Log>> Log::Open(const std::string& dir, const LogOptions& options) {
  // Index positions are u32, so a segment may not outgrow 4 GiB.
  if (options.segment_size_bytes <= format::kBatchHeaderBytes || options.initial_offset < 0 ||
      options.segment_size_bytes > std::numeric_limits<uint32_t>::max() ||
      options.index_interval_bytes <= 0 || options.env == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad log options for ", dir, ": segment_size_bytes must be in (",
                     format::kBatchHeaderBytes, ", 4 GiB], index_interval_bytes positive"));
  }
  std::unique_ptr<Log> log(new Log(dir, options));
  WriteLock lock(log->mu_);
  if (auto s = log->Recover(); !s.ok()) return s;
  log->PublishOffsetsLocked();
  lock.unlock();
  return log;
}

absl::Status Log::Recover() {
  Env* env = options_.env;
  if (auto s = env->CreateDirs(dir_); !s.ok()) return s;

  const std::string marker = dir_ + "/" + format::kCleanShutdownFile;
  const bool clean = env->FileExists(marker);
  if (clean) {
    // From here on a crash is an unclean shutdown again.
    if (auto s = env->DeleteFile(marker); !s.ok()) return s;
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }
  last_sync_ms_ = NowMs();
  // A compaction interrupted before its renames: the originals are intact, drop the copies.
  if (auto s = env->DeleteDirRecursively(dir_ + "/" + format::kCleanerDir); !s.ok()) return s;

  const std::string reset_path = dir_ + "/" + format::kResetFile;
  if (env->FileExists(reset_path)) {
    auto text = ReadWholeFile(env, reset_path);
    int64_t start;
    if (!text.ok() || !absl::SimpleAtoi(*text, &start)) {
      return absl::DataLossError(absl::StrCat(reset_path, " is unreadable"));
    }
    return FinishResetLocked(start);  // a crash interrupted Reset(start)
  }

  int64_t persisted_start = -1;
  const std::string start_path = dir_ + "/" + format::kLogStartOffsetFile;
  if (env->FileExists(start_path)) {
    auto text = ReadWholeFile(env, start_path);
    if (!text.ok() || !absl::SimpleAtoi(*text, &persisted_start)) {
      return absl::DataLossError(absl::StrCat(start_path, " is unreadable"));
    }
  }

  auto children = env->GetChildren(dir_);
  if (!children.ok()) return children.status();
  std::vector<int64_t> bases;
  for (const std::string& name : *children) {
    int64_t base;
    if (ParseSegmentFileName(name, format::kLogSuffix, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  const int64_t now = NowMs();
  int64_t expected = -1;
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool active = i + 1 == bases.size();
    auto seg = Segment::Open(env, dir_, bases[i], options_.index_interval_bytes,
                             /*validate=*/active && !clean, now);
    if (!seg.ok()) return seg.status();
    if (expected >= 0 && (*seg)->base_offset() != expected) {
      return absl::DataLossError(absl::StrCat("segment ", Segment::LogPath(dir_, bases[i]),
                                              " does not follow the previous one (expected base ",
                                              expected, ")"));
    }
    expected = (*seg)->next_offset();
    recovered_truncated_bytes_ += static_cast<int64_t>((*seg)->truncated_bytes());
    segments_[bases[i]] = std::move(*seg);
  }

  // A crash between recording a new log start and deleting the segments below it leaves
  // those segments behind: finish the job.
  bool deleted = false;
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= persisted_start) {
    if (auto s = DeleteSegmentLocked(segments_.begin()->first); !s.ok()) return s;
    deleted = true;
  }
  if (deleted) {
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }
  if (segments_.empty()) {
    int64_t base = std::max(options_.initial_offset, persisted_start);
    auto seg = Segment::Create(env, dir_, base, options_.index_interval_bytes, now);
    if (!seg.ok()) return seg.status();
    segments_[base] = std::move(*seg);
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }
  if (persisted_start > LogEndLocked()) {
    // The start was made durable but the unsynced tail below it was lost: nothing of the
    // log is left to keep, so it restarts empty there.
    segments_.clear();
    return FinishResetLocked(persisted_start);
  }
  log_start_offset_ = std::max(segments_.begin()->first, persisted_start);
  flushed_offset_ = LogEndLocked();
  const std::string cleaned_path = dir_ + "/" + format::kCleanedThroughFile;
  if (env->FileExists(cleaned_path)) {
    auto text = ReadWholeFile(env, cleaned_path);
    int64_t cleaned = 0;
    if (text.ok() && absl::SimpleAtoi(*text, &cleaned)) {
      cleaned_through_offset_ = std::min(cleaned, LogEndLocked());
    }
  }
  return absl::OkStatus();
}

absl::Status Log::FinishResetLocked(int64_t new_start_offset) {
  Env* env = options_.env;
  segments_.clear();
  auto children = env->GetChildren(dir_);
  if (!children.ok()) return children.status();
  for (const std::string& name : *children) {
    int64_t base;
    if (ParseSegmentFileName(name, format::kLogSuffix, &base) ||
        ParseSegmentFileName(name, format::kIndexSuffix, &base)) {
      if (auto s = env->DeleteFile(dir_ + "/" + name); !s.ok()) return s;
    }
  }
  auto seg = Segment::Create(env, dir_, new_start_offset, options_.index_interval_bytes, NowMs());
  if (!seg.ok()) return seg.status();
  segments_[new_start_offset] = std::move(*seg);
  log_start_offset_ = new_start_offset;
  flushed_offset_ = new_start_offset;
  corrupt_from_offset_ = -1;
  if (auto s = PersistLogStartLocked(); !s.ok()) return s;  // syncs the directory too
  const std::string reset_path = dir_ + "/" + format::kResetFile;
  if (env->FileExists(reset_path)) {
    if (auto s = env->DeleteFile(reset_path); !s.ok()) return s;
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void Log::PublishOffsetsLocked() {
  // The invariants every operation must leave behind.
  KEEL_CHECK(!segments_.empty());
  KEEL_CHECK(segments_.begin()->first <= log_start_offset_);
  KEEL_CHECK(log_start_offset_ <= LogEndLocked());
  KEEL_CHECK(flushed_offset_ <= LogEndLocked());
  // Truncation and Reset rewrite what follows the new end: it is dirty again.
  cleaned_through_offset_ = std::min(cleaned_through_offset_, LogEndLocked());
  published_start_ = log_start_offset_;
  published_end_ = LogEndLocked();
  published_flushed_ = flushed_offset_;
}

absl::Status Log::PoisonLocked(absl::Status s) {
  if (write_error_.ok()) {
    write_error_ = absl::Status(
        s.code(), absl::StrCat(s.message(), " (log ", dir_,
                               " refuses writes until reopened: its durable state is unknown)"));
  }
  return write_error_;
}

int64_t Log::log_start_offset() const { return published_start_.load(); }
int64_t Log::log_end_offset() const { return published_end_.load(); }
int64_t Log::flushed_offset() const { return published_flushed_.load(); }

int64_t Log::size_bytes() const {
  ReadLock lock(mu_);
  int64_t total = 0;
  for (const auto& [base, seg] : segments_) total += static_cast<int64_t>(seg->size_bytes());
  return total;
}

size_t Log::segment_count() const {
  ReadLock lock(mu_);
  return segments_.size();
}

Segment* Log::SegmentForLocked(int64_t offset) const {
  auto it = segments_.upper_bound(offset);
  if (it == segments_.begin()) return nullptr;
  return std::prev(it)->second.get();
}

absl::StatusOr<AppendInfo> Log::Append(int32_t leader_epoch, std::vector<Record> records) {
  if (records.empty()) return absl::InvalidArgumentError("cannot append an empty batch");
  RecordBatch batch;
  batch.leader_epoch = leader_epoch;
  // The batch's max timestamp is its records' largest, whatever their sign.
  batch.max_timestamp_ms = std::numeric_limits<int64_t>::min();
  batch.records = std::move(records);
  WriteLock lock(mu_);
  // Offsets are assigned under the same lock hold that appends, so concurrent appenders
  // never race for one offset.
  batch.base_offset = LogEndLocked();
  std::string encoded = EncodeBatch(batch);
  if (encoded.size() > format::kMaxBatchBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of ", encoded.size(), " bytes is over the limit of ", format::kMaxBatchBytes));
  }
  auto header = DecodeBatchHeader(encoded.data(), encoded.size());
  if (!header.ok()) return header.status();
  return AppendLocked(lock, encoded, *header);
}

absl::StatusOr<AppendInfo> Log::AppendBatch(const RecordBatch& batch) {
  if (batch.span() <= 0) return absl::InvalidArgumentError("cannot append an empty batch");
  if (!batch.offset_deltas.empty() || batch.offset_count > 0) {
    // A compacted batch (replicated from a leader that cleaned it): its shape must hold.
    if (batch.offset_deltas.size() != batch.records.size() ||
        batch.offset_count < static_cast<int64_t>(batch.records.size())) {
      return absl::InvalidArgumentError("compacted batch: offset deltas do not match records");
    }
    for (size_t i = 0; i < batch.offset_deltas.size(); ++i) {
      const int64_t d = batch.offset_deltas[i];
      if (d < 0 || d >= batch.offset_count || (i > 0 && d <= batch.offset_deltas[i - 1])) {
        return absl::InvalidArgumentError("compacted batch: offset deltas out of order");
      }
    }
  }
  std::string encoded = EncodeBatch(batch);
  if (encoded.size() > format::kMaxBatchBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of ", encoded.size(), " bytes is over the limit of ", format::kMaxBatchBytes));
  }
  auto header = DecodeBatchHeader(encoded.data(), encoded.size());
  if (!header.ok()) return header.status();
  WriteLock lock(mu_);
  return AppendLocked(lock, encoded, *header);
}

absl::StatusOr<AppendInfo> Log::AppendLocked(WriteLock& lock, const std::string& encoded,
                                             const BatchHeader& h) {
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (!write_error_.ok()) return write_error_;
  if (h.base_offset != LogEndLocked()) {
    return absl::InvalidArgumentError(absl::StrCat("batch base offset ", h.base_offset,
                                                   " does not equal the log end offset ",
                                                   LogEndLocked(), " of ", dir_));
  }
  const int64_t now = NowMs();
  Segment* active = segments_.rbegin()->second.get();
  if (active->size_bytes() > 0 &&
      (static_cast<int64_t>(active->size_bytes() + encoded.size()) > segment_size_bytes_ ||
       now - active->created_ms() >= segment_ms_)) {
    if (auto s = RollLocked(now); !s.ok()) return s;
    active = segments_.rbegin()->second.get();
  }
  if (auto s = active->Append(encoded, h); !s.ok()) {
    // ENOSPC was undone by the segment: the log is as before and the caller may retry.
    return absl::IsResourceExhausted(s) ? s : PoisonLocked(s);
  }
  KEEL_CHECK(LogEndLocked() == h.next_offset());
  PublishOffsetsLocked();
  AppendInfo info{h.base_offset, h.next_offset() - 1, static_cast<int64_t>(encoded.size())};
  ++batches_since_sync_;
  const FlushPolicy& flush = options_.flush;
  if (flush.every_batch ||
      (flush.every_n_batches > 0 && batches_since_sync_ >= flush.every_n_batches) ||
      (flush.every_ms > 0 && now - last_sync_ms_ >= flush.every_ms)) {
    if (auto s = SyncUpTo(lock, h.next_offset()); !s.ok()) return s;
  }
  return info;
}

absl::Status Log::SyncUpTo(WriteLock& lock, int64_t offset) {
  // A concurrent truncation may lower the log end below `offset`: wait for what is left.
  while (flushed_offset_ < std::min(offset, LogEndLocked())) {
    if (!write_error_.ok()) return write_error_;
    if (sync_in_progress_) {
      // Someone is already syncing; their fsync may cover us (group commit).
      sync_cv_.wait(lock);
      continue;
    }
    sync_in_progress_ = true;
    // Everything appended so far is in the active segment or in sealed (synced) ones, so
    // one fsync of the active segment makes the whole log durable up to here.
    const int64_t target = LogEndLocked();
    Segment* active = segments_.rbegin()->second.get();
    lock.unlock();
    absl::Status s = active->Sync();
    lock.lock();
    sync_in_progress_ = false;
    if (s.ok()) {
      flushed_offset_ = std::max(flushed_offset_, std::min(target, LogEndLocked()));
      batches_since_sync_ = 0;
      last_sync_ms_ = NowMs();
      PublishOffsetsLocked();
    } else {
      s = PoisonLocked(s);
    }
    sync_cv_.notify_all();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void Log::WaitForSyncLocked(WriteLock& lock) {
  // Truncation, deletion and Reset may destroy the segment a sync is running on.
  sync_cv_.wait(lock, [this] { return !sync_in_progress_; });
}

absl::Status Log::RollLocked(int64_t now_ms) {
  // A concurrent fsync of this segment may be running outside the lock; that is fine, the
  // segment object stays alive (only truncation and deletion wait for it) and Seal syncs.
  Segment* active = segments_.rbegin()->second.get();
  if (auto s = active->Seal(); !s.ok()) return PoisonLocked(s);
  flushed_offset_ = std::max(flushed_offset_, active->next_offset());
  const int64_t base = active->next_offset();
  auto seg = Segment::Create(options_.env, dir_, base, options_.index_interval_bytes, now_ms);
  if (!seg.ok()) return seg.status();  // nothing changed; an empty file left behind is harmless
  segments_[base] = std::move(*seg);
  if (auto s = options_.env->SyncDir(dir_); !s.ok()) return PoisonLocked(s);
  PublishOffsetsLocked();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<RecordBatch>> Log::Read(int64_t offset, int64_t max_bytes) const {
  ReadLock lock(mu_);
  const int64_t corrupt = corrupt_from_offset_.load();
  if (corrupt >= 0 && offset >= corrupt) {
    return absl::DataLossError(
        absl::StrCat("offset ", offset, " is at or past corrupt data at ", corrupt, " in ", dir_));
  }
  const int64_t end = LogEndLocked();
  if (offset < log_start_offset_ || offset > end) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is outside the log ", dir_, " [",
                                              log_start_offset_, ", ", end, ")"));
  }
  std::vector<RecordBatch> out;
  if (offset == end) return out;
  int64_t bytes = 0;
  bool reached_end = false;
  auto it = segments_.upper_bound(offset);
  --it;
  auto position = it->second->FindPosition(offset);
  absl::Status s = position.status();
  if (s.ok()) s = it->second->ReadBatches(*position, max_bytes, &out, &bytes, &reached_end);
  // Move on to the next segment only after reading this one to its end.
  for (++it; s.ok() && reached_end && it != segments_.end() && bytes < max_bytes; ++it) {
    if (!out.empty() && it->first != out.back().next_offset()) {
      s = absl::DataLossError(absl::StrCat("segment ", it->first, " does not follow offset ",
                                           out.back().next_offset() - 1, " in ", dir_));
      break;
    }
    s = it->second->ReadBatches({0, it->first}, max_bytes, &out, &bytes, &reached_end);
  }
  if (!s.ok()) {
    if (!absl::IsDataLoss(s)) return s;
    // Never serve past corruption: remember where it starts, so that every later read at
    // or beyond it fails. The intact batches before it are returned; the reader's next
    // read, from where they end, gets the DataLoss.
    const int64_t bad = out.empty() ? offset : out.back().next_offset();
    int64_t seen = corrupt_from_offset_.load();
    while ((seen < 0 || bad < seen) && !corrupt_from_offset_.compare_exchange_weak(seen, bad)) {
    }
    if (out.empty()) return s;
  }
  return out;
}

absl::Status Log::TruncateFrom(int64_t offset) {
  if (offset < 0) return absl::InvalidArgumentError(absl::StrCat("negative offset ", offset));
  WriteLock lock(mu_);
  WaitForSyncLocked(lock);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (!write_error_.ok()) return write_error_;
  if (offset >= LogEndLocked()) return absl::OkStatus();
  int64_t restart_at = -1;
  if (offset <= log_start_offset_) {
    restart_at = offset;
  } else {
    // The batch holding `offset` may straddle the log start (DeletePrefixBefore can set
    // it inside a batch); removing that batch leaves nothing above the start.
    Segment* seg = SegmentForLocked(offset);
    auto position = seg->FindPosition(offset);
    if (!position.ok()) return position.status();
    if (position->base_offset <= log_start_offset_) restart_at = log_start_offset_;
  }
  if (restart_at >= 0) {
    // Nothing at or above the log start survives: the log restarts empty at restart_at.
    if (auto s = WriteFileAtomically(options_.env, dir_ + "/" + format::kResetFile,
                                     std::to_string(restart_at));
        !s.ok()) {
      return s;
    }
    absl::Status s = FinishResetLocked(restart_at);
    if (!s.ok()) return PoisonLocked(s);
    PublishOffsetsLocked();
    return absl::OkStatus();
  }
  while (segments_.size() > 1 && segments_.rbegin()->first >= offset) {
    if (auto s = DeleteSegmentLocked(segments_.rbegin()->first); !s.ok()) return PoisonLocked(s);
  }
  Segment* seg = segments_.rbegin()->second.get();
  if (offset < seg->next_offset()) {
    auto position = seg->FindPosition(offset);
    if (!position.ok()) return position.status();
    if (auto s = seg->TruncateAt(position->position, position->base_offset); !s.ok()) {
      return PoisonLocked(s);
    }
  }
  flushed_offset_ = std::min(flushed_offset_, LogEndLocked());
  if (corrupt_from_offset_.load() >= LogEndLocked()) corrupt_from_offset_ = -1;
  PublishOffsetsLocked();
  if (auto s = options_.env->SyncDir(dir_); !s.ok()) return PoisonLocked(s);
  return absl::OkStatus();
}

absl::Status Log::DeleteSegmentLocked(int64_t base_offset) {
  auto it = segments_.find(base_offset);
  if (it == segments_.end()) return absl::OkStatus();
  absl::Status s = it->second->Delete();
  segments_.erase(it);
  return s;
}

absl::Status Log::PersistLogStartLocked() {
  return WriteFileAtomically(options_.env, dir_ + "/" + format::kLogStartOffsetFile,
                             std::to_string(log_start_offset_));
}

absl::Status Log::DeletePrefixBefore(int64_t offset) {
  WriteLock lock(mu_);
  WaitForSyncLocked(lock);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (!write_error_.ok()) return write_error_;
  if (offset <= log_start_offset_) return absl::OkStatus();
  if (offset > LogEndLocked()) {
    return absl::OutOfRangeError(absl::StrCat("cannot delete below ", offset, " in ", dir_,
                                              ": beyond the log end ", LogEndLocked()));
  }
  // The new start is durable before any segment goes; recovery deletes leftovers.
  const int64_t old_start = log_start_offset_;
  log_start_offset_ = offset;
  if (auto s = PersistLogStartLocked(); !s.ok()) {
    log_start_offset_ = old_start;
    return s;
  }
  PublishOffsetsLocked();
  bool deleted = false;
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
    if (auto s = DeleteSegmentLocked(segments_.begin()->first); !s.ok()) return PoisonLocked(s);
    deleted = true;
  }
  if (deleted) {
    if (auto s = options_.env->SyncDir(dir_); !s.ok()) return PoisonLocked(s);
  }
  return absl::OkStatus();
}

absl::Status Log::Reset(int64_t new_start_offset) {
  if (new_start_offset < 0) {
    return absl::InvalidArgumentError(absl::StrCat("negative offset ", new_start_offset));
  }
  WriteLock lock(mu_);
  WaitForSyncLocked(lock);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (auto s = WriteFileAtomically(options_.env, dir_ + "/" + format::kResetFile,
                                   std::to_string(new_start_offset));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = FinishResetLocked(new_start_offset); !s.ok()) return PoisonLocked(s);
  // Every file was replaced and synced: the durable state is known again.
  write_error_ = absl::OkStatus();
  batches_since_sync_ = 0;
  PublishOffsetsLocked();
  return absl::OkStatus();
}

absl::Status Log::SetSegmentRoll(int64_t segment_size_bytes, int64_t segment_ms) {
  // The same bounds Open checks: index positions are u32.
  if (segment_size_bytes <= format::kBatchHeaderBytes ||
      segment_size_bytes > std::numeric_limits<uint32_t>::max() || segment_ms < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad segment roll for ", dir_, ": segment_size_bytes ", segment_size_bytes,
        " must be in (", format::kBatchHeaderBytes, ", 4 GiB], segment_ms ", segment_ms,
        " at least 1"));
  }
  WriteLock lock(mu_);
  segment_size_bytes_ = segment_size_bytes;
  segment_ms_ = segment_ms;
  return absl::OkStatus();
}

absl::Status Log::ApplyRetention(int64_t now_ms) {
  WriteLock lock(mu_);
  WaitForSyncLocked(lock);
  if (closed_) return absl::FailedPreconditionError(absl::StrCat("log ", dir_, " is closed"));
  if (!write_error_.ok()) return write_error_;
  int64_t total = 0;
  for (const auto& [base, seg] : segments_) total += static_cast<int64_t>(seg->size_bytes());
  std::vector<int64_t> doomed;
  for (auto it = segments_.begin(); std::next(it) != segments_.end(); ++it) {
    const Segment& oldest = *it->second;
    const bool over_size =
        options_.retention_bytes >= 0 &&
        total - static_cast<int64_t>(oldest.size_bytes()) >= options_.retention_bytes;
    const bool too_old = options_.retention_ms >= 0 && oldest.max_timestamp_ms() >= 0 &&
                         oldest.max_timestamp_ms() < now_ms - options_.retention_ms;
    if (!over_size && !too_old) break;
    total -= static_cast<int64_t>(oldest.size_bytes());
    doomed.push_back(it->first);
  }
  if (doomed.empty()) return absl::OkStatus();
  // Same order as DeletePrefixBefore: the new start is durable first.
  const int64_t new_start = segments_.find(doomed.back())->second->next_offset();
  if (new_start > log_start_offset_) {
    const int64_t old_start = log_start_offset_;
    log_start_offset_ = new_start;
    if (auto s = PersistLogStartLocked(); !s.ok()) {
      log_start_offset_ = old_start;
      return s;
    }
  }
  for (int64_t base : doomed) {
    if (auto s = DeleteSegmentLocked(base); !s.ok()) return PoisonLocked(s);
  }
  PublishOffsetsLocked();
  if (auto s = options_.env->SyncDir(dir_); !s.ok()) return PoisonLocked(s);
  return absl::OkStatus();
}

absl::Status Log::Flush() {
  WriteLock lock(mu_);
  if (!write_error_.ok()) return write_error_;
  return SyncUpTo(lock, LogEndLocked());
}

absl::Status Log::Close() {
  WriteLock lock(mu_);
  if (closed_) return absl::OkStatus();
  absl::Status s = write_error_;
  if (s.ok()) s = SyncUpTo(lock, LogEndLocked());
  WaitForSyncLocked(lock);
  if (s.ok()) s = segments_.rbegin()->second->Seal();
  closed_ = true;
  // Without the marker the next Open validates the active segment, as after a crash.
  if (!s.ok()) return s;
  return WriteFileAtomically(options_.env, dir_ + "/" + format::kCleanShutdownFile, "");
}

absl::StatusOr<int64_t> Log::OffsetForTimestamp(int64_t timestamp_ms) const {
  ReadLock lock(mu_);
  // Segments wholly below the log start may still exist; FindTimestamp skips them.
  for (const auto& [base, seg] : segments_) {
    auto found = seg->FindTimestamp(timestamp_ms, log_start_offset_);
    if (!found.ok()) return found.status();
    if (found->has_value()) return std::max((*found)->base_offset, log_start_offset_);
  }
  return LogEndLocked();
}

absl::StatusOr<int32_t> Log::EpochAt(int64_t offset) const {
  ReadLock lock(mu_);
  if (offset < log_start_offset_ || offset >= LogEndLocked()) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is outside the log ", dir_, " [",
                                              log_start_offset_, ", ", LogEndLocked(), ")"));
  }
  Segment* seg = SegmentForLocked(offset);
  auto position = seg->FindPosition(offset);
  if (!position.ok()) return position.status();
  // The whole batch, CRC-checked: Raft's Term(i) must not come from a flipped header.
  std::vector<RecordBatch> batch;
  int64_t bytes = 0;
  bool reached_end = false;
  if (auto s = seg->ReadBatches(*position, 0, &batch, &bytes, &reached_end); !s.ok()) return s;
  return batch.front().leader_epoch;
}

}  // namespace keel::storage
