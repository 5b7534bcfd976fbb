// WatchMetadata sends the image as a snapshot in chunks (MetadataImageSnapshot.more), so no
// message grows with the cluster: at 1M partitions the image is ~30 MB of records, far past
// gRPC's 4 MB default receive limit. These helpers are both ends of that framing.
#ifndef KEEL_METADATA_WATCH_SNAPSHOT_H_
#define KEEL_METADATA_WATCH_SNAPSHOT_H_

#include <functional>
#include <vector>

#include <grpcpp/support/sync_stream.h>

#include "proto/controller.pb.h"
#include "proto/metadata.pb.h"

namespace keel::metadata {

// Records per snapshot chunk: a PartitionRecord is ~50 bytes, so a chunk is ~0.5 MB.
inline constexpr int kSnapshotChunkRecords = 10000;

// Splits `records` (the image at `offset`) into WatchMetadata snapshot events and hands each
// to `write`, in order; every event but the last has more = true. An empty image is one
// event. Stops early, returning false, when `write` does.
bool WriteSnapshotChunks(int64_t offset, int64_t epoch,
                         std::vector<metadata::MetadataRecord> records,
                         const std::function<bool(const controller::WatchMetadataResponse&)>& write,
                         int chunk_records = kSnapshotChunkRecords);

// Given the first chunk of a snapshot (already in `snapshot`), reads the chunks that follow
// from `reader` and appends their records, until the one without `more`. False if the
// stream ends first or sends anything else in between (the caller treats the stream as
// broken and starts again).
bool ReadRestOfSnapshot(grpc::ClientReaderInterface<controller::WatchMetadataResponse>* reader,
                        controller::MetadataImageSnapshot* snapshot);

}  // namespace keel::metadata

#endif  // KEEL_METADATA_WATCH_SNAPSHOT_H_
