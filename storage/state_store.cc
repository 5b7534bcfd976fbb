#include "storage/state_store.h"

#include "absl/strings/str_cat.h"
#include "storage/env.h"

namespace keel::storage {
namespace {

absl::Status FromLevelDb(const leveldb::Status& s, const std::string& context) {
  if (s.ok()) return absl::OkStatus();
  std::string message = absl::StrCat(context, ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNotFound()) return absl::NotFoundError(message);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  // LevelDB creates only the last directory of the path.
  if (auto s = Env::Default()->CreateDirs(dir); !s.ok()) return s;
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;  // a corrupt store is an error, not silently repaired
  leveldb::DB* raw = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, dir, &raw);
  if (!s.ok()) return FromLevelDb(s, "open state store " + dir);
  return std::unique_ptr<StateStore>(new StateStore(std::unique_ptr<leveldb::DB>(raw)));
}

absl::StatusOr<std::optional<std::string>> StateStore::Get(const std::string& key) const {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), key, &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromLevelDb(s, "get " + key);
  return std::optional<std::string>(std::move(value));
}

absl::Status StateStore::Put(const std::string& key, const std::string& value, bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  return FromLevelDb(db_->Put(options, key, value), "put " + key);
}

absl::Status StateStore::Delete(const std::string& key, bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  return FromLevelDb(db_->Delete(options, key), "delete " + key);
}

absl::Status StateStore::Write(Batch* batch, bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  return FromLevelDb(db_->Write(options, &batch->batch_), "write batch");
}

absl::Status StateStore::Scan(
    const std::string& prefix,
    const std::function<bool(const std::string&, const std::string&)>& fn) const {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!fn(it->key().ToString(), it->value().ToString())) break;
  }
  return FromLevelDb(it->status(), "scan " + prefix);
}

absl::StatusOr<std::optional<int64_t>> StateStore::GetInt64(const std::string& key) const {
  auto text = Get(key);
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::optional<int64_t>();
  auto value = state_keys::DecodeInt64(key, **text);
  if (!value.ok()) return value.status();
  return std::optional<int64_t>(*value);
}

absl::Status StateStore::PutInt64(const std::string& key, int64_t value, bool sync) {
  return Put(key, state_keys::EncodeInt64(value), sync);
}

absl::Status StateStore::PutHighWatermarks(
    const std::vector<std::pair<std::string, int32_t>>& partitions,
    const std::vector<int64_t>& high_watermarks, bool sync) {
  if (partitions.size() != high_watermarks.size()) {
    return absl::InvalidArgumentError(absl::StrCat(partitions.size(), " partitions but ",
                                                   high_watermarks.size(), " high watermarks"));
  }
  Batch batch;
  for (size_t i = 0; i < partitions.size(); ++i) {
    batch.PutInt64(state_keys::HighWatermark(partitions[i].first, partitions[i].second),
                   high_watermarks[i]);
  }
  return Write(&batch, sync);
}

absl::StatusOr<std::optional<int64_t>> StateStore::GetHighWatermark(const std::string& topic,
                                                                    int32_t partition) const {
  return GetInt64(state_keys::HighWatermark(topic, partition));
}

absl::StatusOr<std::vector<state_keys::EpochEntry>> StateStore::GetLeaderEpochs(
    const std::string& topic, int32_t partition) const {
  auto text = Get(state_keys::LeaderEpochs(topic, partition));
  if (!text.ok()) return text.status();
  if (!text->has_value()) return std::vector<state_keys::EpochEntry>();
  return state_keys::DecodeLeaderEpochs(**text);
}

absl::Status StateStore::PutLeaderEpochs(const std::string& topic, int32_t partition,
                                         const std::vector<state_keys::EpochEntry>& entries,
                                         bool sync) {
  return Put(state_keys::LeaderEpochs(topic, partition), state_keys::EncodeLeaderEpochs(entries),
             sync);
}

}  // namespace keel::storage
