// The stored form of the image's entities: their keys in ImageChanges (and so in the
// controller's LevelDB image) and their full-state records. Part of :metadata_image; the
// key layout is specified in docs/formats/metadata-records.md.
#ifndef KEEL_METADATA_IMAGE_RECORDS_H_
#define KEEL_METADATA_IMAGE_RECORDS_H_

#include <cstdint>
#include <string>

#include "metadata/metadata_image.h"
#include "proto/metadata.pb.h"

namespace keel::metadata {

std::string BrokerKey(int32_t broker_id);
std::string TopicKey(const std::string& topic_id);
std::string PartitionKey(const std::string& topic_id, int32_t partition);
std::string ConfigKey(metadata::ConfigResourceType type, const std::string& resource_name,
                      const std::string& config_name);
inline constexpr char kLeaderKey[] = "leader";

metadata::MetadataRecord BrokerRecordOf(const BrokerInfo& broker);
metadata::MetadataRecord TopicRecordOf(const TopicInfo& topic);
metadata::MetadataRecord PartitionRecordOf(const std::string& topic_id, int32_t partition,
                                           const PartitionInfo& info);
// value == nullptr: the deletion form (no value).
metadata::MetadataRecord ConfigRecordOf(metadata::ConfigResourceType type,
                                        const std::string& resource_name,
                                        const std::string& config_name, const std::string* value);

// Whether `p` keeps the image's partition invariants; the error names what is broken.
absl::Status CheckPartitionState(const PartitionInfo& p);

}  // namespace keel::metadata

#endif  // KEEL_METADATA_IMAGE_RECORDS_H_
