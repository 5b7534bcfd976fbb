#include "controller/metadata_feed.h"

#include <utility>

namespace keel::controller {

void MetadataFeed::Append(MetadataLogEntry entry) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    covered_offset_ = entry.offset();
    entries_.push_back(std::move(entry));
    while (entries_.size() > max_entries_) {
      horizon_ = entries_.front().offset();
      entries_.pop_front();
    }
  }
  cv_.notify_all();
}

void MetadataFeed::Reset(int64_t offset) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.clear();
    horizon_ = offset;
    covered_offset_ = offset;
  }
  cv_.notify_all();
}

bool MetadataFeed::WaitAfter(int64_t* cursor, std::chrono::milliseconds timeout,
                             std::vector<MetadataLogEntry>* out) {
  std::unique_lock<std::mutex> lock(mu_);
  auto behind = [&] { return *cursor < horizon_; };
  if (behind()) return false;
  cv_.wait_for(lock, timeout, [&] { return closed_ || covered_offset_ > *cursor || behind(); });
  if (behind()) return false;
  for (const MetadataLogEntry& e : entries_) {
    if (e.offset() > *cursor) out->push_back(e);
  }
  if (covered_offset_ > *cursor) *cursor = covered_offset_;
  return true;
}

void MetadataFeed::MarkCovered(int64_t offset) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (offset > covered_offset_) covered_offset_ = offset;
  }
  cv_.notify_all();
}

void MetadataFeed::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

}  // namespace keel::controller
