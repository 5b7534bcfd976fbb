#include "kafka/fetch.h"

namespace keel::kafka {

void FetchRequest::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int32(partition);
  if (v >= 9) io.Int32(current_leader_epoch);
  io.Int64(fetch_offset);
  if (v >= 12) io.Int32(last_fetched_epoch);
  if (v >= 5) io.Int64(log_start_offset);
  io.Int32(partition_max_bytes);
  if (v >= 17) {
    io.TaggedFields({{0, !replica_directory_id.IsZero(),
                      [this](FieldIo& t) { t.Uuid(replica_directory_id); }}});
  } else {
    io.TaggedFields();
  }
}

void FetchRequest::Topic::Io(FieldIo& io) {
  if (io.version() <= 12) io.String(topic);
  if (io.version() >= 13) io.Uuid(topic_id);
  io.Array(partitions);
  io.TaggedFields();
}

void FetchRequest::ForgottenTopic::Io(FieldIo& io) {
  if (io.version() <= 12) io.String(topic);
  if (io.version() >= 13) io.Uuid(topic_id);
  io.Array(partitions);
  io.TaggedFields();
}

void FetchRequest::ReplicaState::Io(FieldIo& io) {
  io.Int32(replica_id);
  io.Int64(replica_epoch);
  io.TaggedFields();
}

void FetchRequest::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v <= 14) io.Int32(replica_id);
  io.Int32(max_wait_ms);
  io.Int32(min_bytes);
  if (v >= 3) io.Int32(max_bytes);
  if (v >= 4) io.Int8(isolation_level);
  if (v >= 7) {
    io.Int32(session_id);
    io.Int32(session_epoch);
  }
  io.Array(topics);
  if (v >= 7) io.Array(forgotten_topics_data);
  if (v >= 11) io.String(rack_id);
  TaggedField cluster{0, cluster_id.has_value(), [this](FieldIo& t) { t.String(cluster_id); }};
  if (v >= 15) {
    io.TaggedFields({cluster, {1, !(replica_state == ReplicaState{}), [this](FieldIo& t) {
                                 replica_state.Io(t);
                               }}});
  } else {
    io.TaggedFields({cluster});
  }
}

void FetchResponse::EpochEndOffset::Io(FieldIo& io) {
  io.Int32(epoch);
  io.Int64(end_offset);
  io.TaggedFields();
}

void FetchResponse::SnapshotId::Io(FieldIo& io) {
  io.Int64(end_offset);
  io.Int32(epoch);
  io.TaggedFields();
}

void FetchResponse::AbortedTransaction::Io(FieldIo& io) {
  io.Int64(producer_id);
  io.Int64(first_offset);
  io.TaggedFields();
}

void FetchResponse::Partition::Io(FieldIo& io) {
  const int16_t v = io.version();
  io.Int32(partition_index);
  io.Int16(error_code);
  io.Int64(high_watermark);
  if (v >= 4) io.Int64(last_stable_offset);
  if (v >= 5) io.Int64(log_start_offset);
  if (v >= 4) io.Array(aborted_transactions);
  if (v >= 11) io.Int32(preferred_read_replica);
  io.Bytes(records);
  io.TaggedFields({
      {0, !(diverging_epoch == EpochEndOffset{}), [this](FieldIo& t) { diverging_epoch.Io(t); }},
      {1, !current_leader.IsDefault(), [this](FieldIo& t) { current_leader.Io(t); }},
      {2, !(snapshot_id == SnapshotId{}), [this](FieldIo& t) { snapshot_id.Io(t); }},
  });
}

void FetchResponse::Topic::Io(FieldIo& io) {
  if (io.version() <= 12) io.String(topic);
  if (io.version() >= 13) io.Uuid(topic_id);
  io.Array(partitions);
  io.TaggedFields();
}

void FetchResponse::Io(FieldIo& io) {
  const int16_t v = io.version();
  if (v >= 1) io.Int32(throttle_time_ms);
  if (v >= 7) {
    io.Int16(error_code);
    io.Int32(session_id);
  }
  io.Array(responses);
  if (v >= 16) {
    io.TaggedFields(
        {{0, !node_endpoints.empty(), [this](FieldIo& t) { t.Array(node_endpoints); }}});
  } else {
    io.TaggedFields();
  }
}

}  // namespace keel::kafka
