#include "kafka/api_keys.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace keel::kafka {
namespace {

// Ranges and flexible-from versions read from each API's schema (Kafka 3.9).
constexpr std::array<ApiInfo, 25> kApis = {{
    {ApiKey::kProduce, "Produce", 0, 11, 9},
    {ApiKey::kFetch, "Fetch", 0, 17, 12},
    {ApiKey::kListOffsets, "ListOffsets", 0, 10, 6},
    {ApiKey::kMetadata, "Metadata", 0, 12, 9},
    {ApiKey::kOffsetCommit, "OffsetCommit", 0, 9, 8},
    {ApiKey::kOffsetFetch, "OffsetFetch", 0, 9, 6},
    {ApiKey::kFindCoordinator, "FindCoordinator", 0, 6, 3},
    {ApiKey::kJoinGroup, "JoinGroup", 0, 9, 6},
    {ApiKey::kHeartbeat, "Heartbeat", 0, 4, 4},
    {ApiKey::kLeaveGroup, "LeaveGroup", 0, 5, 4},
    {ApiKey::kSyncGroup, "SyncGroup", 0, 5, 4},
    {ApiKey::kDescribeGroups, "DescribeGroups", 0, 5, 5},
    {ApiKey::kListGroups, "ListGroups", 0, 5, 3},
    {ApiKey::kSaslHandshake, "SaslHandshake", 0, 1, kNeverFlexible},
    {ApiKey::kApiVersions, "ApiVersions", 0, 4, 3},
    {ApiKey::kCreateTopics, "CreateTopics", 0, 7, 5},
    {ApiKey::kDeleteTopics, "DeleteTopics", 0, 6, 4},
    {ApiKey::kInitProducerId, "InitProducerId", 0, 5, 2},
    {ApiKey::kOffsetForLeaderEpoch, "OffsetForLeaderEpoch", 0, 4, 4},
    {ApiKey::kDescribeConfigs, "DescribeConfigs", 0, 4, 4},
    {ApiKey::kSaslAuthenticate, "SaslAuthenticate", 0, 2, 2},
    {ApiKey::kCreatePartitions, "CreatePartitions", 0, 3, 2},
    {ApiKey::kDeleteGroups, "DeleteGroups", 0, 2, 2},
    {ApiKey::kIncrementalAlterConfigs, "IncrementalAlterConfigs", 0, 1, 1},
    {ApiKey::kDescribeCluster, "DescribeCluster", 0, 1, 0},
}};

}  // namespace

std::span<const ApiInfo> SupportedApis() { return kApis; }

const ApiInfo* FindApi(int16_t key) {
  for (const ApiInfo& api : kApis) {
    if (static_cast<int16_t>(api.key) == key) return &api;
  }
  return nullptr;
}

std::string ApiName(int16_t key) {
  const ApiInfo* api = FindApi(key);
  return api != nullptr ? api->name : absl::StrCat("ApiKey(", key, ")");
}

bool IsFlexible(ApiKey key, int16_t version) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(key));
  return api != nullptr && version >= api->flexible_from;
}

bool IsSupported(ApiKey key, int16_t version) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(key));
  return api != nullptr && version >= api->min_version && version <= api->max_version;
}

}  // namespace keel::kafka
