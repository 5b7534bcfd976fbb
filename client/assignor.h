// Assignor: the partition assignment strategy the group leader runs (Kafka's
// ConsumerPartitionAssignor). Pure: no I/O, no clocks, no randomness; the same input always
// gives the same output, so every member would compute the same assignment.
//
// The leader hands Assign() every member's subscription (decoded from Kafka's ConsumerProtocol
// bytes) and the partition count of every subscribed topic it found in metadata; topics it
// did not find are left out of `partitions_per_topic` and get no partitions. The result has
// an entry (possibly empty) for every member.
#ifndef KEEL_CLIENT_ASSIGNOR_H_
#define KEEL_CLIENT_ASSIGNOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/topic_partition.h"

namespace keel::client {

struct MemberSubscription {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // static membership (KIP-345)
  std::vector<std::string> topics;
  // What the member held before this rebalance (ConsumerProtocol subscription v1+); only the
  // sticky assignor reads it.
  std::vector<TopicPartition> owned_partitions;
};

// member id -> partitions, each list sorted.
using GroupAssignment = std::map<std::string, std::vector<TopicPartition>>;

// Kafka's RebalanceProtocol: EAGER revokes everything before rejoining; COOPERATIVE revokes
// only the partitions that move (KIP-429).
enum class RebalanceProtocol { kEager, kCooperative };

class Assignor {
 public:
  virtual ~Assignor() = default;
  // The protocol name in JoinGroup ("range", "roundrobin", "cooperative-sticky").
  virtual std::string name() const = 0;
  virtual RebalanceProtocol protocol() const { return RebalanceProtocol::kEager; }
  virtual GroupAssignment Assign(const std::vector<MemberSubscription>& members,
                                 const std::map<std::string, int32_t>& partitions_per_topic) const = 0;
};

// "range", "roundrobin" or "cooperative-sticky" (Kafka's class names
// org.apache.kafka.clients.consumer.RangeAssignor etc. are accepted too).
absl::StatusOr<std::unique_ptr<Assignor>> MakeAssignor(const std::string& name);

// Kafka's MemberInfo order: members with a group.instance.id first, by instance id; then the
// others by member id.
bool MemberOrder(const MemberSubscription& a, const MemberSubscription& b);

// Members in MemberOrder (pointers into `members`).
std::vector<const MemberSubscription*> SortedMembers(
    const std::vector<MemberSubscription>& members);

// An entry for every member, empty.
GroupAssignment EmptyAssignment(const std::vector<MemberSubscription>& members);

}  // namespace keel::client

#endif  // KEEL_CLIENT_ASSIGNOR_H_
