// Shared helpers of the end-to-end drivers: waiting for the cluster to be whole, finding the
// controller leader, and reading a replica log from disk.
#ifndef KEEL_TESTS_E2E_E2E_ENV_H_
#define KEEL_TESTS_E2E_E2E_ENV_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/controller.pb.h"
#include "tests/e2e/cluster.h"

namespace keel::e2e {

// The leader a majority of running controllers agree on, or -1 after `timeout`.
int WaitForControllerLeader(Cluster* cluster, std::chrono::milliseconds timeout);
// Whether controller `id` answers DescribeQuorum naming some leader.
bool ControllerKnowsLeader(Cluster* cluster, int id);
// Whether every running broker (or just `only_id` when > 0) is registered, unfenced and not
// shutting down, per the controller leader.
bool BrokersUnfenced(Cluster* cluster, int only_id = -1);
bool WaitBrokersUnfenced(Cluster* cluster, std::chrono::milliseconds timeout);
// The topic as the controller leader describes it (empty name if unknown).
controller::TopicDescription DescribeTopic(Cluster* cluster, const std::string& topic);
// Until every partition of `topic` has a leader and an ISR of `isr_size`.
bool WaitForIsr(Cluster* cluster, const std::string& topic, int isr_size,
                std::chrono::milliseconds timeout);

// The record values of a partition replica on disk, from the log start to its end (the
// broker must be stopped). Fails on a read error: a replica never holds corrupt data below
// what it serves.
absl::StatusOr<std::vector<std::string>> ReadReplicaFromDisk(const std::string& dir);

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_E2E_ENV_H_
