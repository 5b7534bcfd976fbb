// keelctl's view of the data plane: which broker leads each partition of one topic, from the
// controllers' DescribeTopics (PartitionDescription.leader) and DescribeCluster (broker
// endpoints), corrected by the leader hints brokers return with NOT_LEADER_OR_FOLLOWER.
//
// Not thread-safe; one per command.
#ifndef KEEL_TOOLS_CTL_DATA_CLIENT_H_
#define KEEL_TOOLS_CTL_DATA_CLIENT_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "proto/common.pb.h"
#include "tools/ctl/commands.h"

namespace keel::keelctl {

// Errors after which asking again (after a metadata refresh) can succeed: leadership moved,
// the broker has not caught up with the metadata yet, or replicas are catching up.
bool IsRetriable(keel::ErrorCode code);
bool IsRetriable(const grpc::Status& status);

class DataClient {
 public:
  DataClient(const GlobalOptions& g, std::string topic);

  // Reloads partitions and leaders. Without controllers, `fallback_partition` is the only
  // partition known and the first of --brokers is asked first.
  grpc::Status Refresh(int fallback_partition);

  const std::vector<int>& partitions() const { return partitions_; }
  // host:port of the partition's leader, or "" when it has none right now.
  std::string LeaderAddress(int partition) const;
  // Remembers the leader a broker named in NOT_LEADER_OR_FOLLOWER.
  void HintLeader(int partition, const keel::NodeAddress& leader);

  std::shared_ptr<grpc::Channel> Channel(const std::string& address);
  // Time left before the command's deadline (never negative).
  std::chrono::milliseconds Remaining() const;
  bool Expired() const { return Remaining().count() <= 0; }
  // A per-call deadline: what is left, at most `cap`.
  std::chrono::system_clock::time_point CallDeadline(std::chrono::milliseconds cap) const;

 private:
  GlobalOptions g_;
  std::string topic_;
  std::chrono::steady_clock::time_point deadline_;
  std::vector<int> partitions_;
  std::map<int, std::string> leaders_;  // partition -> host:port
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  size_t bootstrap_next_ = 0;  // next --brokers entry to try without controllers
};

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_DATA_CLIENT_H_
