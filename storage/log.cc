#include "storage/log.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/batch_codec.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

bool ParseSegmentName(const std::string& name, int64_t* base) {
  const std::string suffix = format::kLogSuffix;
  if (name.size() != format::kBaseOffsetDigits + suffix.size() ||
      name.compare(format::kBaseOffsetDigits, suffix.size(), suffix) != 0) {
    return false;
  }
  return absl::SimpleAtoi(name.substr(0, format::kBaseOffsetDigits), base);
}

}  // namespace

Log::Log(std::string dir, LogOptions options) : dir_(std::move(dir)), options_(options) {}

Log::~Log() = default;

int64_t Log::NowMs() const {
  if (options_.now_ms != nullptr) return options_.now_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::StatusOr<std::unique_ptr<Log>> Log::Open(const std::string& dir, const LogOptions& options) {
  if (options.segment_size_bytes <= format::kBatchHeaderBytes ||
      options.index_interval_bytes <= 0) {
    return absl::InvalidArgumentError("segment_size_bytes and index_interval_bytes must be positive");
  }
  std::unique_ptr<Log> log(new Log(dir, options));
  if (auto s = log->Recover(); !s.ok()) return s;
  return log;
}

absl::Status Log::Recover() {
  Env* env = options_.env;
  if (auto s = env->CreateDirs(dir_); !s.ok()) return s;
  auto children = env->GetChildren(dir_);
  if (!children.ok()) return children.status();
  std::vector<int64_t> bases;
  for (const std::string& name : *children) {
    int64_t base;
    if (ParseSegmentName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());

  const std::string marker = dir_ + "/" + format::kCleanShutdownFile;
  const bool clean = env->FileExists(marker);
  if (clean) {
    // From here on a crash is an unclean shutdown again.
    if (auto s = env->DeleteFile(marker); !s.ok()) return s;
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }

  int64_t persisted_start = -1;
  const std::string start_path = dir_ + "/" + format::kLogStartOffsetFile;
  if (env->FileExists(start_path)) {
    auto text = ReadWholeFile(env, start_path);
    if (!text.ok() || !absl::SimpleAtoi(*text, &persisted_start)) {
      return absl::DataLossError(absl::StrCat(start_path, " is unreadable"));
    }
  }

  int64_t expected = -1;
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool active = i + 1 == bases.size();
    auto seg = Segment::Open(env, dir_, bases[i], options_.index_interval_bytes,
                             /*validate=*/active && !clean);
    if (!seg.ok()) return seg.status();
    if (expected >= 0 && (*seg)->base_offset() != expected) {
      return absl::DataLossError(absl::StrCat("segment ", Segment::LogPath(dir_, bases[i]),
                                              " does not follow the previous one (expected base ",
                                              expected, ")"));
    }
    expected = (*seg)->next_offset();
    segments_[bases[i]] = std::move(*seg);
  }
  if (segments_.empty()) {
    int64_t base = std::max(options_.initial_offset, persisted_start);
    auto seg = Segment::Create(env, dir_, base, options_.index_interval_bytes, NowMs());
    if (!seg.ok()) return seg.status();
    segments_[base] = std::move(*seg);
    if (auto s = env->SyncDir(dir_); !s.ok()) return s;
  }
  log_start_offset_ = std::max(segments_.begin()->first, persisted_start);
  flushed_offset_ = log_end_offset();
  last_sync_ms_ = NowMs();
  return absl::OkStatus();
}

int64_t Log::log_start_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_start_offset_;
}

int64_t Log::log_end_offset() const {
  // Called with or without mu_ held during Recover; segments_ is never empty.
  return segments_.rbegin()->second->next_offset();
}

int64_t Log::flushed_offset() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushed_offset_;
}

int64_t Log::size_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t total = 0;
  for (const auto& [base, seg] : segments_) total += static_cast<int64_t>(seg->size_bytes());
  return total;
}

size_t Log::segment_count() const {
  std::lock_guard<std::mutex> lock(mu_);
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
  batch.records = std::move(records);
  std::unique_lock<std::mutex> lock(mu_);
  // Offsets are assigned under the same lock hold that appends, so concurrent appenders
  // never race for one offset.
  batch.base_offset = log_end_offset();
  std::string encoded = EncodeBatch(batch);
  auto header = DecodeBatchHeader(encoded.data(), encoded.size());
  if (!header.ok()) return header.status();
  return AppendLocked(lock, encoded, *header);
}

absl::StatusOr<AppendInfo> Log::AppendBatch(const RecordBatch& batch) {
  if (batch.records.empty()) return absl::InvalidArgumentError("cannot append an empty batch");
  std::string encoded = EncodeBatch(batch);
  auto header = DecodeBatchHeader(encoded.data(), encoded.size());
  if (!header.ok()) return header.status();
  std::unique_lock<std::mutex> lock(mu_);
  return AppendLocked(lock, encoded, *header);
}

absl::StatusOr<AppendInfo> Log::AppendLocked(std::unique_lock<std::mutex>& lock,
                                             const std::string& encoded, const BatchHeader& h) {
  if (closed_) return absl::FailedPreconditionError("log is closed");
  if (h.base_offset != log_end_offset()) {
    return absl::InvalidArgumentError(absl::StrCat("batch base offset ", h.base_offset,
                                                   " does not equal the log end offset ",
                                                   log_end_offset()));
  }
  const int64_t now = NowMs();
  Segment* active = segments_.rbegin()->second.get();
  if (active->size_bytes() > 0 &&
      (static_cast<int64_t>(active->size_bytes() + encoded.size()) > options_.segment_size_bytes ||
       now - active->created_ms() >= options_.segment_ms)) {
    if (auto s = RollLocked(now); !s.ok()) return s;
    active = segments_.rbegin()->second.get();
  }
  if (auto s = active->Append(encoded, h); !s.ok()) return s;
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

absl::Status Log::SyncUpTo(std::unique_lock<std::mutex>& lock, int64_t offset) {
  while (flushed_offset_ < offset) {
    if (sync_in_progress_) {
      // Someone is already syncing: their fsync may cover us (group commit).
      sync_cv_.wait(lock);
      continue;
    }
    sync_in_progress_ = true;
    const int64_t target = log_end_offset();
    Segment* active = segments_.rbegin()->second.get();
    lock.unlock();
    absl::Status s = active->Sync();
    lock.lock();
    sync_in_progress_ = false;
    if (s.ok()) {
      flushed_offset_ = std::max(flushed_offset_, target);
      batches_since_sync_ = 0;
      last_sync_ms_ = NowMs();
    }
    sync_cv_.notify_all();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void Log::WaitForSyncLocked(std::unique_lock<std::mutex>& lock) {
  sync_cv_.wait(lock, [this] { return !sync_in_progress_; });
}

absl::Status Log::RollLocked(int64_t now_ms) {
  // An fsync of this segment may be running outside the lock; that is fine, the segment
  // object stays alive (only truncation and deletion wait for it), and sealing syncs again.
  Segment* active = segments_.rbegin()->second.get();
  if (auto s = active->Seal(); !s.ok()) return s;
  flushed_offset_ = std::max(flushed_offset_, active->next_offset());
  const int64_t base = active->next_offset();
  auto seg = Segment::Create(options_.env, dir_, base, options_.index_interval_bytes, now_ms);
  if (!seg.ok()) return seg.status();
  segments_[base] = std::move(*seg);
  return options_.env->SyncDir(dir_);
}

absl::StatusOr<std::vector<RecordBatch>> Log::Read(int64_t offset, int64_t max_bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (corrupt_from_offset_ >= 0 && offset >= corrupt_from_offset_) {
    return absl::DataLossError(absl::StrCat("offset ", offset, " is at or past corrupt data at ",
                                            corrupt_from_offset_, " in ", dir_));
  }
  const int64_t end = log_end_offset();
  if (offset < log_start_offset_ || offset > end) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is outside the log [",
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
                                           out.back().next_offset() - 1));
      break;
    }
    s = it->second->ReadBatches(0, max_bytes, &out, &bytes, &reached_end);
  }
  if (!s.ok()) {
    if (absl::IsDataLoss(s)) {
      // Never serve past corruption: remember where it starts.
      int64_t bad = out.empty() ? offset : out.back().next_offset();
      corrupt_from_offset_ = corrupt_from_offset_ < 0 ? bad : std::min(corrupt_from_offset_, bad);
    }
    return s;
  }
  return out;
}

absl::Status Log::TruncateFrom(int64_t offset) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForSyncLocked(lock);
  const int64_t end = log_end_offset();
  if (offset >= end) return absl::OkStatus();
  if (offset <= log_start_offset_) {
    lock.unlock();
    return Reset(offset);
  }
  while (segments_.size() > 1 && segments_.rbegin()->first >= offset) {
    if (auto s = DeleteSegmentLocked(segments_.rbegin()->first); !s.ok()) return s;
  }
  Segment* seg = segments_.rbegin()->second.get();
  if (offset < seg->next_offset()) {
    auto position = seg->FindPosition(offset);
    if (!position.ok()) return position.status();
    auto header = seg->ReadHeader(*position);
    if (!header.ok()) return header.status();
    if (auto s = seg->TruncateAt(*position, header->base_offset); !s.ok()) return s;
  }
  flushed_offset_ = std::min(flushed_offset_, log_end_offset());
  if (corrupt_from_offset_ >= log_end_offset()) corrupt_from_offset_ = -1;
  return options_.env->SyncDir(dir_);
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
  std::unique_lock<std::mutex> lock(mu_);
  WaitForSyncLocked(lock);
  if (offset <= log_start_offset_) return absl::OkStatus();
  if (offset > log_end_offset()) {
    return absl::OutOfRangeError(absl::StrCat("cannot delete below ", offset,
                                              ": beyond the log end ", log_end_offset()));
  }
  log_start_offset_ = offset;
  if (auto s = PersistLogStartLocked(); !s.ok()) return s;
  bool deleted = false;
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
    if (auto s = DeleteSegmentLocked(segments_.begin()->first); !s.ok()) return s;
    deleted = true;
  }
  return deleted ? options_.env->SyncDir(dir_) : absl::OkStatus();
}

absl::Status Log::Reset(int64_t new_start_offset) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForSyncLocked(lock);
  while (!segments_.empty()) {
    if (auto s = DeleteSegmentLocked(segments_.begin()->first); !s.ok()) return s;
  }
  auto seg = Segment::Create(options_.env, dir_, new_start_offset, options_.index_interval_bytes,
                             NowMs());
  if (!seg.ok()) return seg.status();
  segments_[new_start_offset] = std::move(*seg);
  log_start_offset_ = new_start_offset;
  flushed_offset_ = new_start_offset;
  corrupt_from_offset_ = -1;
  if (auto s = PersistLogStartLocked(); !s.ok()) return s;
  return options_.env->SyncDir(dir_);
}

absl::Status Log::ApplyRetention(int64_t now_ms) {
  std::unique_lock<std::mutex> lock(mu_);
  WaitForSyncLocked(lock);
  int64_t total = 0;
  for (const auto& [base, seg] : segments_) total += static_cast<int64_t>(seg->size_bytes());
  bool deleted = false;
  while (segments_.size() > 1) {
    Segment* oldest = segments_.begin()->second.get();
    bool over_size = options_.retention_bytes >= 0 &&
                     total - static_cast<int64_t>(oldest->size_bytes()) >= options_.retention_bytes;
    bool too_old = options_.retention_ms >= 0 && oldest->max_timestamp_ms() >= 0 &&
                   oldest->max_timestamp_ms() < now_ms - options_.retention_ms;
    if (!over_size && !too_old) break;
    total -= static_cast<int64_t>(oldest->size_bytes());
    if (auto s = DeleteSegmentLocked(oldest->base_offset()); !s.ok()) return s;
    deleted = true;
  }
  if (!deleted) return absl::OkStatus();
  log_start_offset_ = std::max(log_start_offset_, segments_.begin()->first);
  if (auto s = PersistLogStartLocked(); !s.ok()) return s;
  return options_.env->SyncDir(dir_);
}

absl::Status Log::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  return SyncUpTo(lock, log_end_offset());
}

absl::Status Log::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return absl::OkStatus();
  if (auto s = SyncUpTo(lock, log_end_offset()); !s.ok()) return s;
  WaitForSyncLocked(lock);
  if (auto s = segments_.rbegin()->second->Seal(); !s.ok()) return s;
  closed_ = true;
  return WriteFileAtomically(options_.env, dir_ + "/" + format::kCleanShutdownFile, "");
}

absl::StatusOr<int64_t> Log::OffsetForTimestamp(int64_t timestamp_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [base, seg] : segments_) {
    if (seg->max_timestamp_ms() >= 0 && seg->max_timestamp_ms() < timestamp_ms &&
        seg.get() != segments_.rbegin()->second.get()) {
      continue;
    }
    uint64_t pos = 0;
    while (pos < seg->size_bytes()) {
      auto h = seg->ReadHeader(pos);
      if (!h.ok()) return h.status();
      if (h->max_timestamp_ms >= timestamp_ms && h->next_offset() > log_start_offset_) {
        return std::max(h->base_offset, log_start_offset_);
      }
      pos += h->length_bytes;
    }
  }
  return log_end_offset();
}

absl::StatusOr<int32_t> Log::EpochAt(int64_t offset) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (offset < log_start_offset_ || offset >= log_end_offset()) {
    return absl::OutOfRangeError(absl::StrCat("offset ", offset, " is outside the log"));
  }
  Segment* seg = SegmentForLocked(offset);
  auto position = seg->FindPosition(offset);
  if (!position.ok()) return position.status();
  auto header = seg->ReadHeader(*position);
  if (!header.ok()) return header.status();
  return header->leader_epoch;
}

}  // namespace keel::storage
