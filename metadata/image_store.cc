#include "metadata/image_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::metadata {
namespace {
constexpr char kImagePrefix[] = "image/";
constexpr char kAppliedKey[] = "meta/applied_offset";
}  // namespace

absl::StatusOr<MetadataImage> LoadImage(storage::StateStore& store) {
  auto applied = store.Get(kAppliedKey);
  if (!applied.ok()) return applied.status();
  int64_t offset = 0;
  if (applied->has_value() && !absl::SimpleAtoi(**applied, &offset)) {
    return absl::DataLossError("meta/applied_offset is not a number");
  }
  std::vector<metadata::MetadataRecord> records;
  absl::Status parse_error;
  absl::Status s = store.Scan(kImagePrefix, [&](const std::string& key, const std::string& value) {
    metadata::MetadataRecord r;
    if (!r.ParseFromString(value)) {
      parse_error = absl::DataLossError(absl::StrCat("state store entry ", key, " does not parse"));
      return false;
    }
    records.push_back(std::move(r));
    return true;
  });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  return MetadataImage::FromRecords(std::move(records), offset);
}

absl::Status SaveImageChanges(storage::StateStore& store, const ImageChanges& changes,
                              int64_t applied_offset) {
  storage::StateStore::Batch batch;
  for (const EntityChange& c : changes.changes) {
    if (c.record.has_value()) {
      batch.Put(kImagePrefix + c.key, c.record->SerializeAsString());
    } else {
      batch.Delete(kImagePrefix + c.key);
    }
  }
  batch.Put(kAppliedKey, std::to_string(applied_offset));
  // Not a sync write: the metadata log is durable, and a lost tail is replayed from it.
  return store.Write(&batch, /*sync=*/false);
}

absl::Status ReplaceImage(storage::StateStore& store, const MetadataImage& image) {
  storage::StateStore::Batch batch;
  absl::Status s = store.Scan(kImagePrefix, [&](const std::string& key, const std::string&) {
    batch.Delete(key);
    return true;
  });
  if (!s.ok()) return s;
  // Recompute the entity keys by replaying the image's own records into a scratch image.
  ImageChanges changes;
  MetadataImage scratch;
  for (const auto& r : image.ToRecords()) {
    if (auto st = scratch.Apply(r, image.applied_offset(), &changes); !st.ok()) return st;
  }
  for (const EntityChange& c : changes.changes) {
    if (c.record.has_value()) batch.Put(kImagePrefix + c.key, c.record->SerializeAsString());
  }
  batch.Put(kAppliedKey, std::to_string(image.applied_offset()));
  return store.Write(&batch, /*sync=*/true);
}

}  // namespace keel::metadata
