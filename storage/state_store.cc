#include "storage/state_store.h"

#include "absl/strings/str_cat.h"

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

}  // namespace keel::storage
