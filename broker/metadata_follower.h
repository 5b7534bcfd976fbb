// MetadataFollower: keeps this broker's copy of the committed metadata image, fed by a
// WatchMetadata stream from any controller (leader or not: every voter serves its committed
// image) through the broker's one client of the quorum (client::AdminClient), and materialized in the broker's state store so a restart resumes from the stored
// offset instead of the beginning.
//
// A stream that breaks (controller killed, restarted, partitioned) is reopened (the client
// moves to another controller after a failed stream), from the last applied offset, after a short backoff; a controller that
// no longer retains that far back answers with a snapshot, which replaces the image.
//
// After each applied change the listener runs on the follower thread with the new image and
// the hex ids of the topics whose records changed (nullptr: anything may have changed).
//
// Thread safety: all public methods are thread-safe.
#ifndef KEEL_BROKER_METADATA_FOLLOWER_H_
#define KEEL_BROKER_METADATA_FOLLOWER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "client/admin_client.h"
#include "metadata/metadata_image.h"
#include "proto/controller.grpc.pb.h"
#include "storage/state_store.h"

namespace keel::broker {

class MetadataFollower {
 public:
  using Listener = std::function<void(const metadata::MetadataImage& image,
                                      const std::set<std::string>* changed_topic_hex_ids)>;

  // Loads the stored image (empty at offset 0 in a fresh store).
  static absl::StatusOr<std::unique_ptr<MetadataFollower>> Open(
      std::shared_ptr<client::AdminClient> controllers, storage::StateStore* store,
      Listener listener);
  ~MetadataFollower();

  void Start();
  void Stop();

  // Runs `fn` with the current image under a shared lock.
  void Read(const std::function<void(const metadata::MetadataImage&)>& fn) const;

  // The highest metadata offset this broker has applied or been told it is past (progress
  // markers carry offsets of committed entries without metadata): the heartbeat's
  // current_metadata_offset.
  int64_t caught_up_offset() const { return caught_up_offset_.load(); }
  // Waits until caught_up_offset() >= offset; false on timeout.
  bool WaitForOffset(int64_t offset, std::chrono::milliseconds timeout) const;

  // The listener for the image loaded at Open (before any stream event).
  void ReplayStoredImage();

 private:
  MetadataFollower(std::shared_ptr<client::AdminClient> controllers, storage::StateStore* store,
                   Listener listener, metadata::MetadataImage image);
  void Run();
  // Follows one stream until it ends; returns why.
  absl::Status FollowOnce();
  absl::Status ApplySnapshot(const controller::MetadataImageSnapshot& snapshot);
  absl::Status ApplyEntry(const controller::MetadataLogEntry& entry);
  void Advance(int64_t offset);

  const std::shared_ptr<client::AdminClient> controllers_;
  storage::StateStore* const store_;
  const Listener listener_;

  mutable std::shared_mutex image_mu_;
  metadata::MetadataImage image_;  // guarded by image_mu_

  std::atomic<int64_t> caught_up_offset_{0};
  mutable std::mutex progress_mu_;
  mutable std::condition_variable progress_cv_;

  std::atomic<bool> stop_{false};
  std::mutex context_mu_;
  grpc::ClientContext* active_context_ = nullptr;  // guarded by context_mu_; cancelled by Stop
  std::thread thread_;
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_METADATA_FOLLOWER_H_
