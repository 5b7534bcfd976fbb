// Committed offsets of a group through client::GroupClient, for REST consumer instances
// that were assigned partitions by hand (client::Consumer commits only for a subscribed
// member) and for the v3 group endpoints: Kafka's "simple" commit (generation -1, no member
// id) and OffsetFetch.
#ifndef KEEL_BROKER_REST_GROUP_OFFSETS_H_
#define KEEL_BROKER_REST_GROUP_OFFSETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/consumer_coordinator.h"
#include "client/group_client.h"
#include "client/topic_partition.h"

namespace keel::rest {

// Commits `offsets` (the next offset to consume per partition) outside any generation.
absl::Status CommitSimple(client::GroupClient& groups, const std::string& group,
                          const client::OffsetMap& offsets);

// The group's committed offsets (-1: none) of `partitions`; every committed partition when
// `partitions` is empty.
absl::StatusOr<client::OffsetMap> FetchCommitted(client::GroupClient& groups,
                                                 const std::string& group,
                                                 const std::vector<client::TopicPartition>& partitions);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_GROUP_OFFSETS_H_
