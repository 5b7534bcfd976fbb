// Decoding metadata records for people and scripts: any protobuf message becomes JSON with
// the .proto field names (bytes as lowercase hex, enums by name, every proto3 field present
// so scripts see stable keys), and one line of "field=value" text.
#ifndef KEEL_TOOLS_CTL_RECORD_FORMAT_H_
#define KEEL_TOOLS_CTL_RECORD_FORMAT_H_

#include <string>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

#include "proto/metadata.pb.h"

namespace keel::keelctl {

nlohmann::json MessageJson(const google::protobuf::Message& message);

// "TopicRecord", "PartitionChangeRecord", ...: the message type of the record's oneof case,
// as in docs/formats/metadata-records.md. "EmptyRecord" when no case is set.
std::string RecordTypeName(const metadata::MetadataRecord& record);

// {"Type": "TopicRecord", "Record": {...fields...}}
nlohmann::json RecordJson(const metadata::MetadataRecord& record);

// "name=orders topic_id=0a1b..." (nested messages in braces, lists in brackets).
std::string RecordText(const metadata::MetadataRecord& record);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_RECORD_FORMAT_H_
