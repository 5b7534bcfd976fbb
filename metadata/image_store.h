// The committed metadata image materialized in LevelDB, so a restart replays only the tail.
//
// Key layout (see docs/formats/state-store.md for the whole store):
//   image/<entity key>      a serialized MetadataRecord with the entity's full state, where
//                           <entity key> is ImageChanges' stable key (broker/<id>,
//                           topic/<hex id>, partition/<hex id>/<p>, config/...)
//   meta/applied_offset     decimal offset of the last entry applied to the image
// Each Ready's changes and the new applied offset go in one atomic LevelDB batch, so the
// stored image is always the image at the stored offset.
#ifndef KEEL_METADATA_IMAGE_STORE_H_
#define KEEL_METADATA_IMAGE_STORE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "metadata/metadata_image.h"
#include "storage/state_store.h"

namespace keel::metadata {

// The stored image, or an empty image at offset 0 in a fresh store.
absl::StatusOr<MetadataImage> LoadImage(storage::StateStore& store);

// Applies `changes` and records `applied_offset`, atomically.
absl::Status SaveImageChanges(storage::StateStore& store, const ImageChanges& changes,
                              int64_t applied_offset);

// Replaces the whole stored image (after installing a snapshot).
absl::Status ReplaceImage(storage::StateStore& store, const MetadataImage& image);

}  // namespace keel::metadata

#endif  // KEEL_METADATA_IMAGE_STORE_H_
