// Test support: a metadata image driven through ControllerLogic the way the active
// controller drives it (each batch committed at the next offset), and the cluster-level
// invariants every committed image must keep.
#ifndef KEEL_CONTROLLER_LOGIC_TEST_CLUSTER_H_
#define KEEL_CONTROLLER_LOGIC_TEST_CLUSTER_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "controller/logic/controller_logic.h"
#include "metadata/metadata_image.h"

namespace keel::controller::testing {

class TestCluster {
 public:
  // Registers brokers 1..brokers and unfences them; rack of broker i is racks[i-1] if given.
  explicit TestCluster(int brokers, std::vector<std::string> racks = {});

  // Applies `batch` at the next offset; fails the test if the image rejects it.
  void Commit(const metadata::MetadataRecordBatch& batch);

  int64_t RegisterAndUnfence(int32_t broker_id, const std::string& incarnation,
                             const std::string& rack = "");
  TopicsOutcome CreateTopic(const std::string& name, int partitions, int replication_factor,
                            std::map<std::string, std::string> configs = {});
  HeartbeatOutcome Heartbeat(int32_t broker_id, bool want_shutdown = false,
                             bool want_fence = false);
  const metadata::TopicInfo& Topic(const std::string& name) const;
  const metadata::PartitionInfo& Partition(const std::string& topic, int32_t partition) const;

  metadata::MetadataImage image;
  BrokerHeartbeatTracker heartbeats{9000};
  metadata::ImageChanges changes;  // every change of every committed batch, in order
  std::vector<std::pair<int64_t, metadata::MetadataRecordBatch>> log;
  int64_t offset = 0;
  uint64_t random = 0;
  int64_t now_ms = 1'000'000;
};

// Violations of the invariants an image built by ControllerLogic keeps; empty if none:
// each partition's state is valid (image_records.h), partition ids are 0..n-1, every leader
// is a usable broker, a fenced or shutting-down broker is in an ISR only as its sole member,
// topic names and ids index each other, and ToRecords rebuilds an equal image.
std::vector<std::string> CheckInvariants(const metadata::MetadataImage& image);

}  // namespace keel::controller::testing

#endif  // KEEL_CONTROLLER_LOGIC_TEST_CLUSTER_H_
