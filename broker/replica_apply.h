// How a follower applies one partition's answer from the leader's ReplicaFetch:
// - OFFSET_OUT_OF_RANGE below the leader's log start: start over there (Log::Reset).
// - diverging_epoch (KIP-320): truncate to the smaller of the leader's end offset for that
//   epoch and this replica's own, dropping the divergent suffix and its epoch-history
//   entries, then fetch again from the new end (the KIP-101 / KIP-279 fix: replicas never
//   keep records the leader does not have).
// - batches: appended in order at the log end, new leader epochs recorded and persisted.
// - the leader's high watermark, capped by the local log end.
// `fetch_epoch` is the leader epoch the request named: an answer that arrives after the
// replica moved to another epoch is dropped (Partition's follower path checks it).
// Returns false for an answer worth pausing on (an epoch or leadership error: the metadata
// will catch up, or a stale answer), true otherwise.
#ifndef KEEL_BROKER_REPLICA_APPLY_H_
#define KEEL_BROKER_REPLICA_APPLY_H_

#include "broker/partition.h"
#include "broker/partition_manager.h"
#include "proto/broker.pb.h"

namespace keel::broker {

bool ApplyReplicaFetch(Partition& p, const FetchPartitionData& data, int32_t fetch_epoch,
                       PartitionManager* partitions);

}  // namespace keel::broker

#endif  // KEEL_BROKER_REPLICA_APPLY_H_
