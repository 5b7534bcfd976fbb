#include "broker/partition_manager.h"

#include <limits>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "metadata/topic_validation.h"

namespace keel::broker {
namespace {

constexpr char kPartitionMetadataFile[] = "partition.metadata";
// A replica being deleted is first renamed to this suffix, so a crash halfway through the
// recursive delete leaves a directory that start-up finishes deleting, never a half log.
constexpr char kDeleteSuffix[] = ".deleting";

std::string EncodePartitionMetadata(const std::string& topic_id) {
  return absl::StrCat("version: 0\ntopic_id: ", absl::BytesToHexString(topic_id), "\n");
}

// The hex topic id from a partition.metadata file, or an error.
absl::StatusOr<std::string> DecodePartitionMetadata(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "topic_id: ")) return std::string(line);
  }
  return absl::DataLossError("partition.metadata has no topic_id line");
}

int64_t ParseLong(const metadata::ConfigMap& configs, const char* key, int64_t fallback) {
  auto it = configs.find(key);
  int64_t v = 0;
  if (it == configs.end() || !absl::SimpleAtoi(it->second, &v)) return fallback;
  return v;
}

}  // namespace

TopicPolicy ResolveTopicPolicy(const metadata::ConfigMap& configs, const TopicPolicy& defaults) {
  TopicPolicy p = defaults;
  p.max_message_bytes = ParseLong(configs, "max.message.bytes", p.max_message_bytes);
  p.flush_messages = ParseLong(configs, "flush.messages", p.flush_messages);
  p.flush_ms = ParseLong(configs, "flush.ms", p.flush_ms);
  p.min_insync_replicas =
      static_cast<int32_t>(ParseLong(configs, "min.insync.replicas", p.min_insync_replicas));
  if (auto it = configs.find("unclean.leader.election.enable"); it != configs.end()) {
    p.unclean_leader_election = it->second == "true";
  }
  if (auto it = configs.find("cleanup.policy"); it != configs.end()) {
    if (auto policy = metadata::ParseCleanupPolicy(it->second)) {
      p.delete_old = policy->delete_old;
      p.compact = policy->compact;
    }
  }
  p.delete_retention_ms = ParseLong(configs, "delete.retention.ms", p.delete_retention_ms);
  // Values a log refuses (left in the metadata by an older controller) keep the default.
  if (int64_t bytes = ParseLong(configs, "segment.bytes", 0);
      bytes >= metadata::kMinSegmentBytes && bytes <= std::numeric_limits<int32_t>::max()) {
    p.segment_bytes = bytes;
  }
  if (int64_t ms = ParseLong(configs, "segment.ms", 0); ms >= 1) p.segment_ms = ms;
  if (auto it = configs.find("min.cleanable.dirty.ratio"); it != configs.end()) {
    double ratio = 0;
    if (absl::SimpleAtod(it->second, &ratio) && ratio >= 0 && ratio <= 1) {
      p.min_cleanable_dirty_ratio = ratio;
    }
  }
  return p;
}

std::string PartitionDirName(const std::string& topic, int32_t partition) {
  return absl::StrCat(topic, "-", partition);
}

bool ParsePartitionDirName(const std::string& name, std::string* topic, int32_t* partition) {
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == name.size()) return false;
  const std::string digits = name.substr(dash + 1);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return false;
  if (!absl::SimpleAtoi(digits, partition)) return false;
  *topic = name.substr(0, dash);
  return true;
}

PartitionManager::PartitionManager(PartitionManagerOptions options, storage::StateStore* state)
    : options_(std::move(options)), state_(state) {}

PartitionManager::~PartitionManager() = default;

absl::StatusOr<std::unique_ptr<PartitionManager>> PartitionManager::Open(
    PartitionManagerOptions options, storage::StateStore* state) {
  if (options.data_dirs.empty()) return absl::InvalidArgumentError("no data dirs");
  std::unique_ptr<PartitionManager> m(new PartitionManager(std::move(options), state));
  if (absl::Status s = m->LoadExisting(); !s.ok()) return s;
  return m;
}

absl::Status PartitionManager::LoadExisting() {
  storage::Env* env = options_.log_options.env;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t d = 0; d < options_.data_dirs.size(); ++d) {
    const std::string& root = options_.data_dirs[d];
    if (absl::Status s = env->CreateDirs(root); !s.ok()) return s;
    auto children = env->GetChildren(root);
    if (!children.ok()) return children.status();
    for (const std::string& name : *children) {
      const std::string path = root + "/" + name;
      if (absl::EndsWith(name, kDeleteSuffix)) {
        KEEL_LOG_INFO("finishing the interrupted delete of {}", path);
        if (absl::Status s = env->DeleteDirRecursively(path); !s.ok()) return s;
        continue;
      }
      std::string topic;
      int32_t partition = 0;
      if (!ParsePartitionDirName(name, &topic, &partition)) continue;
      const std::string meta_path = path + "/" + kPartitionMetadataFile;
      if (!env->FileExists(meta_path)) {
        // Created but never described (a crash between mkdir and the metadata file): it
        // holds nothing acknowledged, since appends need the file first.
        KEEL_LOG_WARN("{} has no {}; removing it", path, kPartitionMetadataFile);
        if (absl::Status s = env->DeleteDirRecursively(path); !s.ok()) return s;
        continue;
      }
      auto file = env->NewRandomAccessFile(meta_path);
      if (!file.ok()) return file.status();
      std::string text;
      if (absl::Status s = (*file)->Read(0, 4096, &text); !s.ok()) return s;
      auto hex = DecodePartitionMetadata(text);
      if (!hex.ok()) {
        return absl::DataLossError(absl::StrCat(meta_path, ": ", hex.status().message()));
      }
      auto p = Partition::Open(path, topic, partition, options_.broker_id, options_.log_options);
      if (!p.ok()) {
        return absl::Status(p.status().code(),
                            absl::StrCat("recovering ", path, ": ", p.status().message()));
      }
      std::shared_ptr<Partition> shared(std::move(*p));
      if (shared->log()->recovered_truncated_bytes() > 0) {
        KEEL_LOG_WARN("recovered {}: cut a torn tail of {} bytes", path,
                      shared->log()->recovered_truncated_bytes());
      }
      auto epochs = state_->GetLeaderEpochs(topic, partition);
      if (epochs.ok()) shared->RestoreEpochHistory(*epochs);
      auto hw = state_->GetHighWatermark(topic, partition);
      if (hw.ok() && hw->has_value()) shared->RestoreHighWatermark(**hw);
      Hosted& h = partitions_[{topic, partition}];
      h.partition = std::move(shared);
      h.data_dir = d;
      // The hex id is kept; it is compared with absl::BytesToHexString(topic id) from the image.
      h.topic_id = *hex;
    }
  }
  if (!partitions_.empty()) {
    KEEL_LOG_INFO("recovered {} partition replicas", partitions_.size());
  }
  return absl::OkStatus();
}

size_t MaxReplicasForOpenFiles(uint64_t open_files_limit) {
  if (open_files_limit == 0) return 0;
  if (open_files_limit <= kReservedFiles + kFilesPerReplica) return 1;
  return static_cast<size_t>((open_files_limit - kReservedFiles) / kFilesPerReplica);
}

absl::StatusOr<std::shared_ptr<Partition>> PartitionManager::CreateLocked(
    const std::string& topic, int32_t partition, const std::string& topic_id) {
  if (options_.max_replicas > 0 && partitions_.size() >= options_.max_replicas) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot host ", topic, "-", partition, ": ", partitions_.size(),
        " replicas already use the open-files limit (about ", kFilesPerReplica,
        " descriptors each); raise it (ulimit -n, LimitNOFILE=) and restart the broker"));
  }
  std::vector<size_t> load(options_.data_dirs.size(), 0);
  for (const auto& [key, h] : partitions_) ++load[h.data_dir];
  size_t d = 0;
  for (size_t i = 1; i < load.size(); ++i) {
    if (load[i] < load[d]) d = i;
  }
  storage::Env* env = options_.log_options.env;
  const std::string path = options_.data_dirs[d] + "/" + PartitionDirName(topic, partition);
  if (absl::Status s = env->CreateDirs(path); !s.ok()) return s;
  if (absl::Status s = storage::WriteFileAtomically(env, path + "/" + kPartitionMetadataFile,
                                                    EncodePartitionMetadata(topic_id));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = env->SyncDir(options_.data_dirs[d]); !s.ok()) return s;
  auto p = Partition::Open(path, topic, partition, options_.broker_id, options_.log_options);
  if (!p.ok()) return p.status();
  std::shared_ptr<Partition> shared(std::move(*p));
  // A fresh replica has no history: drop what a deleted namesake may have left behind.
  (void)state_->Delete(storage::state_keys::LeaderEpochs(topic, partition), false);
  (void)state_->Delete(storage::state_keys::HighWatermark(topic, partition), false);
  Hosted& h = partitions_[{topic, partition}];
  h.partition = shared;
  h.topic_id = absl::BytesToHexString(topic_id);
  h.data_dir = d;
  KEEL_LOG_INFO("created partition {}-{} in {}", topic, partition, path);
  return shared;
}

absl::Status PartitionManager::DeleteLocked(const Key& key) {
  auto it = partitions_.find(key);
  if (it == partitions_.end()) return absl::OkStatus();
  std::shared_ptr<Partition> p = it->second.partition;
  const size_t d = it->second.data_dir;
  partitions_.erase(it);
  (void)p->Close();
  const std::string doomed = p->dir() + kDeleteSuffix;
  if (absl::Status s = options_.log_options.env->RenameFile(p->dir(), doomed); !s.ok()) {
    return s;
  }
  (void)options_.log_options.env->SyncDir(options_.data_dirs[d]);
  (void)state_->Delete(storage::state_keys::LeaderEpochs(key.first, key.second), false);
  (void)state_->Delete(storage::state_keys::HighWatermark(key.first, key.second), false);
  KEEL_LOG_INFO("deleted partition {}-{}", key.first, key.second);
  return options_.log_options.env->DeleteDirRecursively(doomed);
}

absl::Status PartitionManager::ReconcileTopicLocked(const metadata::TopicInfo& topic,
                                                    int64_t now_ms, std::set<Key>* wanted) {
  const TopicPolicy policy = ResolveTopicPolicy(topic.configs, options_.default_policy);
  const std::string hex_id = absl::BytesToHexString(topic.id);
  for (const auto& [index, info] : topic.partitions) {
    if (std::find(info.replicas.begin(), info.replicas.end(), options_.broker_id) ==
        info.replicas.end()) {
      continue;
    }
    const Key key{topic.name, index};
    wanted->insert(key);
    auto it = partitions_.find(key);
    if (it != partitions_.end() && it->second.topic_id != hex_id) {
      KEEL_LOG_INFO("partition {}-{} on disk belongs to an older topic id {}; replacing it",
                    topic.name, index, it->second.topic_id);
      if (absl::Status s = DeleteLocked(key); !s.ok()) return s;
      it = partitions_.end();
    }
    std::shared_ptr<Partition> p;
    if (it == partitions_.end()) {
      auto created = CreateLocked(topic.name, index, topic.id);
      if (!created.ok()) return created.status();
      p = *created;
    } else {
      p = it->second.partition;
    }
    PartitionAssignment a;
    a.topic_id = topic.id;
    a.replicas = info.replicas;
    a.isr = info.isr;
    a.leader = info.leader;
    a.leader_epoch = info.leader_epoch;
    a.partition_epoch = info.partition_epoch;
    if (p->Update(a, policy, now_ms)) {
      KEEL_LOG_INFO("leader of {}-{} at epoch {} (log end {})", topic.name, index,
                    info.leader_epoch, p->log()->log_end_offset());
      if (absl::Status s = SaveEpochHistory(*p); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

absl::Status PartitionManager::Reconcile(const metadata::MetadataImage& image,
                                         const std::set<std::string>* topic_ids, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<Key> wanted;
  std::set<std::string> considered_hex;  // topics whose replicas are decided by this call
  if (topic_ids == nullptr) {
    for (const auto& [id, topic] : image.topics_by_id()) {
      if (absl::Status s = ReconcileTopicLocked(topic, now_ms, &wanted); !s.ok()) return s;
    }
  } else {
    for (const std::string& hex : *topic_ids) {
      considered_hex.insert(hex);
      if (const metadata::TopicInfo* topic = image.TopicById(absl::HexStringToBytes(hex))) {
        if (absl::Status s = ReconcileTopicLocked(*topic, now_ms, &wanted); !s.ok()) return s;
      }
    }
  }
  std::vector<Key> doomed;
  for (const auto& [key, h] : partitions_) {
    if (wanted.count(key)) continue;
    if (topic_ids != nullptr && !considered_hex.count(h.topic_id)) {
      // Untouched by this change, unless the name now belongs to another topic id.
      const metadata::TopicInfo* now = image.TopicByName(key.first);
      if (now == nullptr || absl::BytesToHexString(now->id) == h.topic_id) continue;
    }
    doomed.push_back(key);
  }
  for (const Key& key : doomed) {
    if (absl::Status s = DeleteLocked(key); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::shared_ptr<Partition> PartitionManager::Get(const std::string& topic,
                                                 int32_t partition) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = partitions_.find({topic, partition});
  return it == partitions_.end() ? nullptr : it->second.partition;
}

std::vector<std::shared_ptr<Partition>> PartitionManager::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Partition>> out;
  for (const auto& [key, h] : partitions_) out.push_back(h.partition);
  return out;
}

size_t PartitionManager::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return partitions_.size();
}

absl::Status PartitionManager::SaveEpochHistory(const Partition& partition) {
  return state_->PutLeaderEpochs(partition.topic(), partition.partition(),
                                 partition.epoch_history(), /*sync=*/true);
}

absl::Status PartitionManager::CheckpointHighWatermarks() {
  storage::StateStore::Batch batch;
  for (const auto& p : All()) {
    batch.PutInt64(storage::state_keys::HighWatermark(p->topic(), p->partition()),
                   p->high_watermark());
  }
  return state_->Write(&batch, /*sync=*/true);
}

absl::Status PartitionManager::CloseAll() {
  absl::Status first = CheckpointHighWatermarks();
  for (const auto& p : All()) {
    absl::Status s = p->Close();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

}  // namespace keel::broker
