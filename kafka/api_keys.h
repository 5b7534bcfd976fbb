// Kafka API keys, the versions of each that this codec reads and writes, and where each
// API's flexible versions (KIP-482: compact strings/arrays, tagged fields) begin.
//
// The codec's range is the full range of the schemas in Kafka 3.9 for the APIs we carry.
// What a broker advertises in ApiVersions is its own choice within these ranges, but mind:
// librdkafka 2.0.2 compresses with gzip, snappy or lz4 only when the broker's Produce range
// includes v0 (and lz4 only when FindCoordinator's includes v0); with Produce advertised from
// v3 it silently sends those batches uncompressed. So advertise Produce from v0 as Kafka does,
// and refuse message formats 0/1 inside old requests instead (record_batch.h does).
#ifndef KEEL_KAFKA_API_KEYS_H_
#define KEEL_KAFKA_API_KEYS_H_

#include <cstdint>
#include <span>
#include <string>

namespace keel::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kInitProducerId = 22,
  kOffsetForLeaderEpoch = 23,
  kDescribeConfigs = 32,
  kSaslAuthenticate = 36,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kIncrementalAlterConfigs = 44,
  kDescribeCluster = 60,
};

struct ApiInfo {
  ApiKey key;
  const char* name;  // Kafka's name, e.g. "Produce" (also the metrics label)
  int16_t min_version;
  int16_t max_version;
  // First flexible version; kNeverFlexible when none is.
  int16_t flexible_from;
};
inline constexpr int16_t kNeverFlexible = 0x7fff;

// Every API this codec carries, ordered by key.
std::span<const ApiInfo> SupportedApis();
// nullptr for a key the codec does not carry.
const ApiInfo* FindApi(int16_t key);
// "Produce", or "ApiKey(57)" for keys outside the table.
std::string ApiName(int16_t key);
inline std::string ApiName(ApiKey key) { return ApiName(static_cast<int16_t>(key)); }

// Whether `version` of `key` uses the flexible encoding. Also answers for versions above
// the codec's range (flexibility never ends), which is what the request header of an
// unsupported version needs.
bool IsFlexible(ApiKey key, int16_t version);
bool IsSupported(ApiKey key, int16_t version);

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_API_KEYS_H_
