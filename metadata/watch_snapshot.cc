#include "metadata/watch_snapshot.h"

#include <algorithm>
#include <utility>

namespace keel::metadata {

bool WriteSnapshotChunks(int64_t offset, int64_t epoch,
                         std::vector<metadata::MetadataRecord> records,
                         const std::function<bool(const controller::WatchMetadataResponse&)>& write,
                         int chunk_records) {
  const size_t per_chunk = static_cast<size_t>(std::max(1, chunk_records));
  size_t next = 0;
  do {
    controller::WatchMetadataResponse event;
    controller::MetadataImageSnapshot* chunk = event.mutable_snapshot();
    chunk->set_offset(offset);
    chunk->set_epoch(epoch);
    const size_t end = std::min(records.size(), next + per_chunk);
    for (; next < end; ++next) *chunk->add_records() = std::move(records[next]);
    chunk->set_more(next < records.size());
    if (!write(event)) return false;
  } while (next < records.size());
  return true;
}

bool ReadRestOfSnapshot(grpc::ClientReaderInterface<controller::WatchMetadataResponse>* reader,
                        controller::MetadataImageSnapshot* snapshot) {
  controller::WatchMetadataResponse event;
  while (snapshot->more()) {
    if (!reader->Read(&event) || !event.has_snapshot() ||
        event.snapshot().offset() != snapshot->offset()) {
      return false;
    }
    controller::MetadataImageSnapshot* chunk = event.mutable_snapshot();
    for (auto& r : *chunk->mutable_records()) *snapshot->add_records() = std::move(r);
    snapshot->set_more(chunk->more());
  }
  return true;
}

}  // namespace keel::metadata
