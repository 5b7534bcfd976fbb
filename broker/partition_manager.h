// PartitionManager: the partition replicas this broker hosts, kept equal to what the committed
// metadata assigns it.
//
// On disk (docs/formats/broker-data-dir.md): each replica is a directory
// `<data dir>/<topic>-<partition>/` holding the segmented log and a `partition.metadata` file
// naming the topic id, so a topic deleted and re-created under the same name while the
// broker was down is recognised as a different topic and its old data is removed. New
// replicas go to the data dir holding the fewest. The leader-epoch history and the high
// watermark of every replica are checkpointed in the broker's state store.
//
// Reconcile creates logs for new assignments, updates leaders / ISRs / topic policies, and
// deletes the logs of replicas no longer assigned here (topic deleted or replica moved).
//
// Thread safety: all methods are thread-safe. Reconcile runs on the metadata thread; lookups
// come from request threads and return shared pointers that outlive a concurrent delete.
#ifndef KEEL_BROKER_PARTITION_MANAGER_H_
#define KEEL_BROKER_PARTITION_MANAGER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "broker/partition.h"
#include "metadata/metadata_image.h"
#include "storage/log.h"
#include "storage/state_store.h"

namespace keel::broker {

struct PartitionManagerOptions {
  int32_t broker_id = -1;
  std::vector<std::string> data_dirs;
  storage::LogOptions log_options;  // segment size, retention defaults...
  TopicPolicy default_policy;       // broker-wide defaults, overridden by topic configs
  // Replicas this broker may host (0: no limit). Each open segment holds three file
  // descriptors (log writer, log reader, index writer), so the broker derives this from its
  // open-files limit: past it, creating a replica fails with RESOURCE_EXHAUSTED instead of
  // the process running out of descriptors (where gRPC itself aborts).
  size_t max_replicas = 0;
};

// File descriptors a hosted replica holds with one segment.
inline constexpr size_t kFilesPerReplica = 3;
// Descriptors kept free for everything else (LevelDB, sockets, gRPC's own).
inline constexpr size_t kReservedFiles = 1024;
// The replicas an open-files limit allows (0 for an unknown limit: no limit).
size_t MaxReplicasForOpenFiles(uint64_t open_files_limit);

// The topic configs of `configs` on top of `defaults`; unknown keys are ignored and values
// that do not parse keep the default (the controller validated them on the way in).
TopicPolicy ResolveTopicPolicy(const metadata::ConfigMap& configs, const TopicPolicy& defaults);

// "<topic>-<partition>", and back (the partition is after the last '-').
std::string PartitionDirName(const std::string& topic, int32_t partition);
bool ParsePartitionDirName(const std::string& name, std::string* topic, int32_t* partition);

class PartitionManager {
 public:
  using Key = std::pair<std::string, int32_t>;  // topic name, partition

  // Opens every replica found in the data dirs (recovering their logs).
  static absl::StatusOr<std::unique_ptr<PartitionManager>> Open(PartitionManagerOptions options,
                                                                storage::StateStore* state);
  ~PartitionManager();

  // Brings the hosted replicas in line with `image`. `topic_ids`: hex ids of the topics whose
  // records changed (nullptr: all of them, after a snapshot or at start).
  absl::Status Reconcile(const metadata::MetadataImage& image,
                         const std::set<std::string>* topic_ids, int64_t now_ms);

  std::shared_ptr<Partition> Get(const std::string& topic, int32_t partition) const;
  std::vector<std::shared_ptr<Partition>> All() const;
  size_t size() const;

  // Writes every replica's high watermark to the state store.
  absl::Status CheckpointHighWatermarks();
  // Persists one replica's leader-epoch history (sync).
  absl::Status SaveEpochHistory(const Partition& partition);

  // Checkpoints and closes every log (clean-shutdown markers).
  absl::Status CloseAll();

 private:
  PartitionManager(PartitionManagerOptions options, storage::StateStore* state);
  absl::Status LoadExisting();
  absl::StatusOr<std::shared_ptr<Partition>> CreateLocked(const std::string& topic,
                                                          int32_t partition,
                                                          const std::string& topic_id);
  absl::Status DeleteLocked(const Key& key);
  absl::Status ReconcileTopicLocked(const metadata::TopicInfo& topic, int64_t now_ms,
                                    std::set<Key>* wanted);

  const PartitionManagerOptions options_;
  storage::StateStore* const state_;
  mutable std::mutex mu_;
  struct Hosted {
    std::shared_ptr<Partition> partition;
    std::string topic_id;  // from partition.metadata
    size_t data_dir = 0;
  };
  std::map<Key, Hosted> partitions_;  // guarded by mu_
};

}  // namespace keel::broker

#endif  // KEEL_BROKER_PARTITION_MANAGER_H_
