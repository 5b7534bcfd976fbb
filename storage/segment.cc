#include "storage/segment.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"
#include "storage/log_format.h"

namespace keel::storage {
namespace {

std::string BaseName(int64_t base_offset) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020" PRId64, base_offset);
  return name;
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

uint64_t GetU64(const char* p) { return GetU32(p) | static_cast<uint64_t>(GetU32(p + 4)) << 32; }

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (8 * i));
}

std::string EncodeIndexEntry(const IndexEntry& e) {
  std::string out(format::kIndexEntryBytes, '\0');
  PutU32(out.data() + format::kIndexOffsetRelative, e.relative_offset);
  PutU32(out.data() + format::kIndexOffsetPosition, e.position);
  const uint64_t ts = static_cast<uint64_t>(e.max_timestamp_before_ms);
  PutU32(out.data() + format::kIndexOffsetTimestamp, static_cast<uint32_t>(ts));
  PutU32(out.data() + format::kIndexOffsetTimestamp + 4, static_cast<uint32_t>(ts >> 32));
  PutU32(out.data() + format::kIndexOffsetCrc, crc32c::Value(out.data(), format::kIndexOffsetCrc));
  return out;
}

// False if the entry's own CRC does not match (a damaged index).
bool DecodeIndexEntry(const char* p, IndexEntry* e) {
  if (crc32c::Value(p, format::kIndexOffsetCrc) != GetU32(p + format::kIndexOffsetCrc)) {
    return false;
  }
  e->relative_offset = GetU32(p + format::kIndexOffsetRelative);
  e->position = GetU32(p + format::kIndexOffsetPosition);
  e->max_timestamp_before_ms = static_cast<int64_t>(GetU64(p + format::kIndexOffsetTimestamp));
  return true;
}

}  // namespace

std::string Segment::LogPath(const std::string& dir, int64_t base_offset) {
  return dir + "/" + BaseName(base_offset) + format::kLogSuffix;
}

std::string Segment::IndexPath(const std::string& dir, int64_t base_offset) {
  return dir + "/" + BaseName(base_offset) + format::kIndexSuffix;
}

Segment::Segment(Env* env, std::string dir, int64_t base_offset, int64_t index_interval_bytes)
    : env_(env),
      dir_(std::move(dir)),
      base_offset_(base_offset),
      index_interval_bytes_(index_interval_bytes),
      next_offset_(base_offset) {}

absl::StatusOr<std::unique_ptr<Segment>> Segment::Create(Env* env, const std::string& dir,
                                                         int64_t base_offset,
                                                         int64_t index_interval_bytes,
                                                         int64_t created_ms) {
  std::unique_ptr<Segment> s(new Segment(env, dir, base_offset, index_interval_bytes));
  s->created_ms_ = created_ms;
  if (auto st = s->OpenFiles(/*create=*/true); !st.ok()) return st;
  return s;
}

absl::Status Segment::OpenFiles(bool create) {
  // A new segment starts empty even if a stale file of its name survived (an index whose
  // deletion failed when its segment was truncated away).
  const std::string log_path = LogPath(dir_, base_offset_);
  const std::string index_path = IndexPath(dir_, base_offset_);
  auto log = create ? env_->NewWritableFile(log_path) : env_->NewAppendableFile(log_path);
  if (!log.ok()) return log.status();
  log_writer_ = std::move(*log);
  auto index = create ? env_->NewWritableFile(index_path) : env_->NewAppendableFile(index_path);
  if (!index.ok()) return index.status();
  index_writer_ = std::move(*index);
  auto reader = env_->NewRandomAccessFile(LogPath(dir_, base_offset_));
  if (!reader.ok()) return reader.status();
  reader_ = std::move(*reader);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Segment>> Segment::Open(Env* env, const std::string& dir,
                                                       int64_t base_offset,
                                                       int64_t index_interval_bytes, bool validate,
                                                       int64_t now_ms) {
  std::unique_ptr<Segment> s(new Segment(env, dir, base_offset, index_interval_bytes));
  if (auto st = s->OpenFiles(/*create=*/false); !st.ok()) return st;
  auto size = env->FileSize(LogPath(dir, base_offset));
  if (!size.ok()) return size.status();
  s->size_bytes_ = *size;
  bool index_usable = false;
  if (!validate) {
    if (auto st = s->LoadIndex(&index_usable); !st.ok()) return st;
  }
  if (validate || !index_usable) {
    if (auto st = s->Scan(validate); !st.ok()) return st;
    if (auto st = s->RewriteIndex(); !st.ok()) return st;
  }
  if (validate) {
    // After a process crash the tail may still sit unsynced in the page cache: sync it,
    // so that the log may count everything it recovered as flushed.
    if (auto st = s->log_writer_->Sync(); !st.ok()) return st;
  }
  // A reopened segment ages from its first batch's timestamp, so a node that restarts more
  // often than segment_ms still rolls (and so can expire) its active segment.
  s->created_ms_ = now_ms;
  if (s->size_bytes_ > 0) {
    auto first = s->ReadHeader(0);
    if (first.ok() && first->max_timestamp_ms > 0 && first->max_timestamp_ms < now_ms) {
      s->created_ms_ = first->max_timestamp_ms;
    }
  }
  return s;
}

absl::Status Segment::LoadIndex(bool* usable) {
  *usable = false;
  std::string path = IndexPath(dir_, base_offset_);
  auto data = ReadWholeFile(env_, path);
  if (!data.ok() || data->size() % format::kIndexEntryBytes != 0 || data->empty()) {
    return absl::OkStatus();  // missing or torn: rebuild
  }
  std::vector<IndexEntry> index;
  for (size_t p = 0; p < data->size(); p += format::kIndexEntryBytes) {
    IndexEntry e;
    if (!DecodeIndexEntry(data->data() + p, &e) ||
        (!index.empty() && (e.relative_offset <= index.back().relative_offset ||
                            e.position <= index.back().position ||
                            e.max_timestamp_before_ms < index.back().max_timestamp_before_ms)) ||
        e.position >= size_bytes_) {
      return absl::OkStatus();  // damaged, not monotonic or points past the log: rebuild
    }
    index.push_back(e);
  }
  // The next offset and the segment's newest timestamp come from the batches after the
  // last index entry (whose entry carries the maximum before them).
  uint64_t pos = index.back().position;
  int64_t next = base_offset_ + index.back().relative_offset;
  int64_t max_ts = index.back().max_timestamp_before_ms;
  while (pos < size_bytes_) {
    auto h = ReadHeader(pos);
    if (!h.ok() || h->base_offset != next) return absl::OkStatus();
    max_ts = std::max(max_ts, h->max_timestamp_ms);
    next = h->next_offset();
    pos += h->length_bytes;
  }
  if (pos != size_bytes_) return absl::OkStatus();
  index_ = std::move(index);
  next_offset_ = next;
  max_timestamp_ms_ = max_ts;
  bytes_since_index_ = size_bytes_ - index_.back().position;
  *usable = true;
  return absl::OkStatus();
}

absl::Status Segment::Scan(bool validate) {
  index_.clear();
  max_timestamp_ms_ = -1;
  next_offset_ = base_offset_;
  bytes_since_index_ = 0;
  uint64_t pos = 0;
  while (pos < size_bytes_) {
    std::string header_bytes;
    if (auto s = reader_->Read(pos, format::kBatchHeaderBytes, &header_bytes); !s.ok()) return s;
    auto h = DecodeBatchHeader(header_bytes.data(), header_bytes.size());
    bool ok = h.ok() && h->base_offset == next_offset_ && pos + h->length_bytes <= size_bytes_;
    if (ok && validate) {
      std::string batch;
      if (auto s = reader_->Read(pos, h->length_bytes, &batch); !s.ok()) return s;
      ok = BatchIsValid(batch.data(), batch.size());
    }
    if (!ok) {
      if (!validate) {
        return absl::DataLossError(absl::StrCat("corrupt batch at byte ", pos, " of ",
                                                LogPath(dir_, base_offset_), " (after offset ",
                                                next_offset_ - 1, ")"));
      }
      // A torn or corrupt tail of the active segment: cut it off (point-in-time recovery,
      // as Kafka does). A flipped bit cannot be told from a torn unsynced write here: the
      // kernel may write unsynced pages back in any order, so valid-looking batches after
      // a bad one prove nothing about what was acknowledged.
      if (auto s = env_->Truncate(LogPath(dir_, base_offset_), pos); !s.ok()) return s;
      truncated_bytes_ = size_bytes_ - pos;
      size_bytes_ = pos;
      break;
    }
    if (index_.empty() || bytes_since_index_ >= static_cast<uint64_t>(index_interval_bytes_)) {
      index_.push_back({static_cast<uint32_t>(next_offset_ - base_offset_),
                        static_cast<uint32_t>(pos), max_timestamp_ms_});
      bytes_since_index_ = 0;
    }
    bytes_since_index_ += h->length_bytes;
    max_timestamp_ms_ = std::max(max_timestamp_ms_, h->max_timestamp_ms);
    next_offset_ = h->next_offset();
    pos += h->length_bytes;
  }
  return absl::OkStatus();
}

absl::Status Segment::RewriteIndex() {
  std::string data;
  for (const IndexEntry& e : index_) data += EncodeIndexEntry(e);
  index_writer_.reset();
  if (auto s = WriteFileAtomically(env_, IndexPath(dir_, base_offset_), data); !s.ok()) return s;
  auto index = env_->NewAppendableFile(IndexPath(dir_, base_offset_));
  if (!index.ok()) return index.status();
  index_writer_ = std::move(*index);
  return absl::OkStatus();
}

absl::Status Segment::Append(const std::string& encoded, const BatchHeader& header) {
  const uint64_t position = size_bytes_;
  if (absl::Status s = log_writer_->Append(encoded); !s.ok()) return UndoAppend(position, s);
  if (index_.empty() || bytes_since_index_ >= static_cast<uint64_t>(index_interval_bytes_)) {
    IndexEntry e{static_cast<uint32_t>(header.base_offset - base_offset_),
                 static_cast<uint32_t>(position), max_timestamp_ms_};
    if (absl::Status s = index_writer_->Append(EncodeIndexEntry(e)); !s.ok()) {
      // A partial entry would shift every later one: cut the index back to whole entries.
      absl::Status cut =
          env_->Truncate(IndexPath(dir_, base_offset_), index_.size() * format::kIndexEntryBytes);
      if (!cut.ok()) {
        return absl::InternalError(
            absl::StrCat(s.message(), "; then cutting the index back failed: ", cut.message()));
      }
      return UndoAppend(position, s);
    }
    index_.push_back(e);
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += encoded.size();
  size_bytes_ += encoded.size();
  next_offset_ = header.next_offset();
  max_timestamp_ms_ = std::max(max_timestamp_ms_, header.max_timestamp_ms);
  return absl::OkStatus();
}

absl::Status Segment::UndoAppend(uint64_t position, const absl::Status& cause) {
  // A failed write (ENOSPC) may have written part of the batch: never leave half a batch
  // behind, or the next append would land after garbage.
  absl::Status cut = env_->Truncate(LogPath(dir_, base_offset_), position);
  if (cut.ok()) return cause;
  return absl::InternalError(
      absl::StrCat(cause.message(), "; then removing the partial batch failed: ", cut.message()));
}

absl::Status Segment::Sync() { return log_writer_->Sync(); }

absl::Status Segment::Seal() {
  if (auto s = log_writer_->Sync(); !s.ok()) return s;
  return index_writer_->Sync();
}

absl::StatusOr<BatchHeader> Segment::ReadHeader(uint64_t position) const {
  std::string bytes;
  if (auto s = reader_->Read(position, format::kBatchHeaderBytes, &bytes); !s.ok()) return s;
  auto h = DecodeBatchHeader(bytes.data(), bytes.size());
  if (!h.ok()) {
    return absl::DataLossError(absl::StrCat(h.status().message(), " (byte ", position, " of ",
                                            LogPath(dir_, base_offset_), ")"));
  }
  return h;
}

absl::StatusOr<BatchLocation> Segment::FindPosition(int64_t offset) const {
  // Binary search for the last index entry at or below the offset...
  const uint32_t relative = static_cast<uint32_t>(offset - base_offset_);
  auto it = std::upper_bound(index_.begin(), index_.end(), relative,
                             [](uint32_t r, const IndexEntry& e) { return r < e.relative_offset; });
  if (it == index_.begin()) return ScanFor(offset, {0, base_offset_});
  auto found =
      ScanFor(offset, {std::prev(it)->position, base_offset_ + std::prev(it)->relative_offset});
  // The index is a hint, never trusted over the log: an entry that does not lead to the
  // batch it promises (a damaged index that passed the sanity checks at open) costs a scan
  // from the segment's start, which finds out whether the log itself is damaged.
  if (absl::IsDataLoss(found.status())) return ScanFor(offset, {0, base_offset_});
  return found;
}

absl::StatusOr<BatchLocation> Segment::ScanFor(int64_t offset, BatchLocation at) const {
  // A short scan of batch headers (at most ~index_interval_bytes of batches when `at` came
  // from the index). The base offset is outside the CRC, so each header must start where
  // the previous one ended.
  while (at.position < size_bytes_) {
    auto h = ReadHeader(at.position);
    if (!h.ok()) return h.status();
    if (h->base_offset != at.base_offset) {
      return absl::DataLossError(absl::StrCat(
          "batch at byte ", at.position, " of ", LogPath(dir_, base_offset_), " claims offset ",
          h->base_offset, " where ", at.base_offset, " was expected"));
    }
    if (offset < h->next_offset()) return at;
    at = {at.position + h->length_bytes, h->next_offset()};
  }
  return absl::OutOfRangeError(
      absl::StrCat("offset ", offset, " is not in segment ", LogPath(dir_, base_offset_)));
}

absl::StatusOr<std::optional<BatchLocation>> Segment::FindTimestamp(int64_t timestamp_ms,
                                                                    int64_t min_offset) const {
  if (max_timestamp_ms_ < timestamp_ms || next_offset_ <= min_offset) return std::nullopt;
  // The running maxima in the index never decrease: every batch before the first entry
  // whose maximum-before reaches timestamp_ms is older, so the scan starts at the entry
  // before it (or where min_offset lies, if that is later).
  auto it = std::lower_bound(
      index_.begin(), index_.end(), timestamp_ms,
      [](const IndexEntry& e, int64_t t) { return e.max_timestamp_before_ms < t; });
  BatchLocation at{0, base_offset_};
  if (it != index_.begin()) {
    at = {std::prev(it)->position, base_offset_ + std::prev(it)->relative_offset};
  }
  if (min_offset > at.base_offset) {
    auto from = FindPosition(min_offset);
    if (!from.ok()) return from.status();
    at = *from;
  }
  while (at.position < size_bytes_) {
    auto h = ReadHeader(at.position);
    if (!h.ok()) return h.status();
    if (h->base_offset != at.base_offset) {
      return absl::DataLossError(absl::StrCat(
          "batch at byte ", at.position, " of ", LogPath(dir_, base_offset_), " claims offset ",
          h->base_offset, " where ", at.base_offset, " was expected"));
    }
    if (h->max_timestamp_ms >= timestamp_ms) return at;
    at = {at.position + h->length_bytes, h->next_offset()};
  }
  return std::nullopt;
}

absl::Status Segment::ReadBatches(BatchLocation at, int64_t max_bytes,
                                  std::vector<RecordBatch>* out, int64_t* bytes_read,
                                  bool* reached_end) const {
  *reached_end = false;
  while (at.position < size_bytes_) {
    auto h = ReadHeader(at.position);
    if (!h.ok()) return h.status();
    if (!out->empty() && *bytes_read + static_cast<int64_t>(h->length_bytes) > max_bytes) {
      return absl::OkStatus();
    }
    if (h->base_offset != at.base_offset) {
      return absl::DataLossError(absl::StrCat("batch at byte ", at.position, " of ",
                                              LogPath(dir_, base_offset_), " claims offset ",
                                              h->base_offset, " but ", at.base_offset, " follows"));
    }
    std::string data;
    if (auto s = reader_->Read(at.position, h->length_bytes, &data); !s.ok()) return s;
    auto batch = DecodeBatch(data.data(), data.size());
    if (!batch.ok()) {
      return absl::DataLossError(absl::StrCat(batch.status().message(), " (byte ", at.position,
                                              " of ", LogPath(dir_, base_offset_), ")"));
    }
    out->push_back(std::move(*batch));
    *bytes_read += h->length_bytes;
    at = {at.position + h->length_bytes, h->next_offset()};
  }
  *reached_end = true;
  return absl::OkStatus();
}

absl::Status Segment::TruncateAt(uint64_t position, int64_t new_next_offset) {
  if (auto s = env_->Truncate(LogPath(dir_, base_offset_), position); !s.ok()) return s;
  size_bytes_ = position;
  next_offset_ = new_next_offset;
  while (!index_.empty() && index_.back().position >= position) index_.pop_back();
  bytes_since_index_ = index_.empty() ? 0 : position - index_.back().position;
  // The newest timestamp left: the last entry's maximum, then the batches after it.
  max_timestamp_ms_ = index_.empty() ? -1 : index_.back().max_timestamp_before_ms;
  for (uint64_t at = index_.empty() ? 0 : index_.back().position; at < position;) {
    auto h = ReadHeader(at);
    if (!h.ok()) return h.status();
    max_timestamp_ms_ = std::max(max_timestamp_ms_, h->max_timestamp_ms);
    at += h->length_bytes;
  }
  return RewriteIndex();
}

absl::Status Segment::Delete() {
  log_writer_.reset();
  index_writer_.reset();
  reader_.reset();
  if (auto s = env_->DeleteFile(LogPath(dir_, base_offset_)); !s.ok()) return s;
  (void)env_->DeleteFile(IndexPath(dir_, base_offset_));
  return absl::OkStatus();
}

}  // namespace keel::storage
