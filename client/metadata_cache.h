// MetadataCache: the data plane's map of topic -> partitions -> leader broker address, shared
// by producers and consumers. Filled from the controllers' DescribeTopics and DescribeCluster;
// corrected by the leader a broker names with NOT_LEADER_OR_FOLLOWER.
//
// Without controllers (a client given only brokers), a topic's partitions must be declared
// with AddStaticTopic; every partition starts at the first bootstrap broker, leader hints
// correct it and MarkStale moves it to the next bootstrap broker.
//
// Readers get immutable snapshots (std::shared_ptr<const TopicMetadata>); a refresh or a hint
// publishes a new one. Thread-safe; no lock is held across a call to the controllers.
#ifndef KEEL_CLIENT_METADATA_CACHE_H_
#define KEEL_CLIENT_METADATA_CACHE_H_

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/channels.h"
#include "proto/broker.grpc.pb.h"

namespace keel::client {

struct PartitionMetadata {
  int32_t partition = 0;
  int32_t leader_id = -1;     // -1: no leader right now
  int32_t leader_epoch = -1;  // -1: unknown (a hint or a static topic)
  std::string leader_address;  // host:port, "" when unknown
};

struct TopicMetadata {
  std::string name;
  std::vector<PartitionMetadata> partitions;  // sorted by partition, dense 0..n-1 normally
  std::chrono::steady_clock::time_point fetched_at;

  const PartitionMetadata* Find(int32_t partition) const;
};

class MetadataCache {
 public:
  // From the Producer's and Consumer's bootstrap properties (comma-separated host:port):
  // an AdminClient when controllers are given; InvalidArgument when neither list is.
  static absl::StatusOr<std::shared_ptr<MetadataCache>> FromBootstrap(
      const std::string& bootstrap_controllers, const std::string& bootstrap_servers,
      int64_t metadata_max_age_ms);

  // `admin` may be null (brokers only); `bootstrap_brokers` may be empty with an admin.
  MetadataCache(std::shared_ptr<AdminClient> admin, std::vector<std::string> bootstrap_brokers,
                int64_t metadata_max_age_ms = 300000);

  // The topic's metadata, from the cache unless it is missing, stale or older than
  // metadata.max.age.ms (then from the controllers, within `timeout`).
  absl::StatusOr<std::shared_ptr<const TopicMetadata>> Topic(const std::string& topic,
                                                             std::chrono::milliseconds timeout);
  // The cached snapshot only (null when unknown); never calls out.
  std::shared_ptr<const TopicMetadata> Cached(absl::string_view topic) const;

  // Asks the controllers now for these topics (and every broker's address).
  absl::Status Refresh(const std::vector<std::string>& topics, std::chrono::milliseconds timeout);

  // Remembers the leader a broker named (ignored when it names no address).
  void HintLeader(const std::string& topic, int32_t partition, const keel::NodeAddress& leader);
  // The next Topic() asks the controllers again (static topics: the next bootstrap broker).
  void MarkStale(const std::string& topic);

  // Declares a topic's partitions for a client without controllers.
  void AddStaticTopic(const std::string& topic, const std::vector<int32_t>& partitions);

  // host:port of broker `id` as of the last refresh ("" if unknown).
  std::string BrokerAddress(int32_t id) const;

  std::shared_ptr<broker::BrokerService::Stub> Stub(const std::string& address);
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
    return channels_.Get(address);
  }
  AdminClient* admin() const { return admin_.get(); }

 private:
  struct Entry {
    std::shared_ptr<const TopicMetadata> metadata;
    bool stale = false;
    bool is_static = false;
    size_t bootstrap_next = 0;  // static topics: the bootstrap broker in use
  };

  const std::shared_ptr<AdminClient> admin_;
  const std::vector<std::string> bootstrap_brokers_;
  const std::chrono::milliseconds max_age_;
  ChannelPool channels_;
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> topics_;  // guarded by mu_
  std::map<int32_t, std::string> brokers_;  // id -> host:port, guarded by mu_
  std::map<std::string, std::shared_ptr<broker::BrokerService::Stub>> stubs_;  // guarded by mu_
};

}  // namespace keel::client

#endif  // KEEL_CLIENT_METADATA_CACHE_H_
