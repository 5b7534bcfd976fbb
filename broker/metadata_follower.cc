#include "broker/metadata_follower.h"

#include <chrono>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/logging.h"
#include "metadata/image_store.h"

namespace keel::broker {
namespace {

constexpr auto kReconnectBackoff = std::chrono::milliseconds(200);

// The hex topic id an entity key names, or "" (keys: topic/<hex>, partition/<hex>/<p>,
// config/topic/<name>/<key>; the last resolved through the image by name).
std::string TopicOfKey(const std::string& key, const metadata::MetadataImage& image) {
  std::vector<std::string> parts = absl::StrSplit(key, '/');
  if (parts.size() >= 2 && (parts[0] == "topic" || parts[0] == "partition")) return parts[1];
  if (parts.size() >= 3 && parts[0] == "config" && parts[1] == "topic") {
    if (const metadata::TopicInfo* t = image.TopicByName(parts[2])) {
      return absl::BytesToHexString(t->id);
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<std::unique_ptr<MetadataFollower>> MetadataFollower::Open(
    std::shared_ptr<client::AdminClient> controllers, storage::StateStore* store,
    Listener listener) {
  auto image = metadata::LoadImage(*store);
  if (!image.ok()) return image.status();
  return std::unique_ptr<MetadataFollower>(new MetadataFollower(
      std::move(controllers), store, std::move(listener), std::move(*image)));
}

MetadataFollower::MetadataFollower(std::shared_ptr<client::AdminClient> controllers,
                                   storage::StateStore* store, Listener listener,
                                   metadata::MetadataImage image)
    : controllers_(std::move(controllers)),
      store_(store),
      listener_(std::move(listener)),
      image_(std::move(image)) {
  caught_up_offset_ = image_.applied_offset();
}

MetadataFollower::~MetadataFollower() { Stop(); }

void MetadataFollower::ReplayStoredImage() {
  std::shared_lock<std::shared_mutex> lock(image_mu_);
  if (image_.applied_offset() > 0) listener_(image_, nullptr);
}

void MetadataFollower::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void MetadataFollower::Stop() {
  stop_ = true;
  {
    std::lock_guard<std::mutex> lock(context_mu_);
    if (active_context_ != nullptr) active_context_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void MetadataFollower::Read(const std::function<void(const metadata::MetadataImage&)>& fn) const {
  std::shared_lock<std::shared_mutex> lock(image_mu_);
  fn(image_);
}

bool MetadataFollower::WaitForOffset(int64_t offset, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(progress_mu_);
  return progress_cv_.wait_for(lock, timeout, [&] { return caught_up_offset_.load() >= offset; });
}

void MetadataFollower::Advance(int64_t offset) {
  {
    std::lock_guard<std::mutex> lock(progress_mu_);
    if (offset > caught_up_offset_.load()) caught_up_offset_ = offset;
  }
  progress_cv_.notify_all();
}

void MetadataFollower::Run() {
  while (!stop_) {
    absl::Status status = FollowOnce();
    if (stop_) break;
    // A controller going away is routine; anything else (a refused or oversized message)
    // would keep the broker fenced, so an operator must see it.
    if (status.ok() || absl::IsUnavailable(status) || absl::IsCancelled(status)) {
      KEEL_LOG_DEBUG("metadata stream ended: {}", status.ToString());
    } else {
      KEEL_LOG_WARN("metadata stream failed: {}", status.ToString());
    }
    std::this_thread::sleep_for(kReconnectBackoff);
  }
}

absl::Status MetadataFollower::FollowOnce() {
  grpc::ClientContext context;
  {
    std::lock_guard<std::mutex> lock(context_mu_);
    if (stop_) return absl::CancelledError("stopping");
    active_context_ = &context;
  }
  int64_t from_offset;
  {
    std::shared_lock<std::shared_mutex> lock(image_mu_);
    // Offset 0 means nothing applied yet: ask for a snapshot (-1).
    from_offset = image_.applied_offset() > 0
                      ? std::max(image_.applied_offset(), caught_up_offset_.load())
                      : -1;
  }
  absl::Status failure;
  absl::Status status = controllers_->WatchMetadata(
      from_offset, &context, [&](const controller::WatchMetadataResponse& event) {
        if (stop_) return false;
        if (event.has_snapshot()) {
          failure = ApplySnapshot(event.snapshot());
        } else if (event.has_entry()) {
          failure = ApplyEntry(event.entry());
        }
        if (!failure.ok()) {
          KEEL_LOG_ERROR("applying metadata: {}", failure.ToString());
          return false;
        }
        return true;
      });
  std::lock_guard<std::mutex> lock(context_mu_);
  active_context_ = nullptr;
  return failure.ok() ? status : failure;
}

absl::Status MetadataFollower::ApplySnapshot(const controller::MetadataImageSnapshot& snapshot) {
  std::vector<metadata::MetadataRecord> records(snapshot.records().begin(),
                                                snapshot.records().end());
  auto image = metadata::MetadataImage::FromRecords(std::move(records), snapshot.offset());
  if (!image.ok()) return image.status();
  {
    std::unique_lock<std::shared_mutex> lock(image_mu_);
    if (absl::Status s = metadata::ReplaceImage(*store_, *image); !s.ok()) return s;
    image_ = std::move(*image);
    KEEL_LOG_INFO("metadata snapshot applied at offset {}", snapshot.offset());
    listener_(image_, nullptr);
  }
  Advance(snapshot.offset());
  return absl::OkStatus();
}

absl::Status MetadataFollower::ApplyEntry(const controller::MetadataLogEntry& entry) {
  if (entry.batch().records_size() > 0) {
    std::unique_lock<std::shared_mutex> lock(image_mu_);
    if (entry.offset() <= image_.applied_offset()) return absl::OkStatus();  // seen already
    metadata::ImageChanges changes;
    absl::Status s = image_.ApplyBatch(entry.batch(), entry.offset(), &changes);
    if (!s.ok()) {
      // Every node rejects an invalid batch the same way (MetadataImage's rule): skip it.
      KEEL_LOG_WARN("metadata batch at offset {} rejected: {}", entry.offset(), s.ToString());
    } else {
      if (s = metadata::SaveImageChanges(*store_, changes, entry.offset()); !s.ok()) return s;
      std::set<std::string> topics;
      for (const auto& c : changes.changes) {
        std::string hex = TopicOfKey(c.key, image_);
        if (!hex.empty()) topics.insert(std::move(hex));
      }
      listener_(image_, &topics);
    }
  }
  Advance(entry.offset());
  return absl::OkStatus();
}

}  // namespace keel::broker
