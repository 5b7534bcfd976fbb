// Kafka-style properties files: "key=value" lines, '#' or '!' comments, blank lines ignored,
// keys and values trimmed. The one parser behind server configs (--config) and
// meta.properties.
//
// Server configs apply to gflags: keys are flag names, and Kafka's dotted spelling is
// accepted too ("node.id" sets --node_id). A flag given on the command line wins over the
// file, as with kafka-server-start overrides.
#ifndef KEEL_COMMON_PROPERTIES_FILE_H_
#define KEEL_COMMON_PROPERTIES_FILE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/env.h"

namespace keel::common {

using Properties = std::map<std::string, std::string>;

// Parses properties text into (key, value) pairs in file order, keys as written. `source` (a
// file name) prefixes errors: a line without '=' is InvalidArgument naming the source and
// line number.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParsePropertyLines(
    absl::string_view text, absl::string_view source);

// ParsePropertyLines as a map (a repeated key: the last line wins).
absl::StatusOr<Properties> ParseProperties(absl::string_view text, absl::string_view source);

// Reads `path` through `env` and parses it. A missing file is NotFound.
absl::StatusOr<Properties> ReadPropertiesFile(storage::Env* env, const std::string& path);

// Sets every flag named in `path` (keys normalized: '.' and '-' become '_') that was not set
// on the command line. Unknown keys and values a flag rejects are InvalidArgument errors
// naming the file, key and value.
absl::Status ApplyPropertiesFileToFlags(const std::string& path,
                                        storage::Env* env = storage::Env::Default());

}  // namespace keel::common

#endif  // KEEL_COMMON_PROPERTIES_FILE_H_
