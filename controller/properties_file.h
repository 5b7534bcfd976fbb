// Kafka-style properties files ("key=value" lines, '#' or '!' comments) applied to gflags.
//
// Keys are flag names; Kafka's dotted spelling is accepted too ("node.id" sets --node_id).
// A flag given on the command line wins over the file, as with kafka-server-start overrides.
#ifndef KEEL_CONTROLLER_PROPERTIES_FILE_H_
#define KEEL_CONTROLLER_PROPERTIES_FILE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace keel::controller {

// Parses the file into key -> value (keys normalized: '.' and '-' become '_').
absl::StatusOr<std::map<std::string, std::string>> ReadPropertiesFile(const std::string& path);

// Sets every flag named in `path` that was not set on the command line. Unknown keys and
// values a flag rejects are InvalidArgument errors naming the file, key and value.
absl::Status ApplyPropertiesFileToFlags(const std::string& path);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_PROPERTIES_FILE_H_
