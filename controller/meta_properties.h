// meta.properties: the identity a data directory is formatted with (as in Kafka's
// `kafka-storage format`). A node refuses to start on a directory formatted for another
// cluster or another node, so a mistyped --data_dir can never mix two clusters' logs.
//
// On-disk format (text, one key=value per line, '#' comments):
//   version=1
//   cluster.id=<cluster id>
//   node.id=<node id>
// Written to meta.properties.tmp, fsynced, renamed, and the directory fsynced.
#ifndef KEEL_CONTROLLER_META_PROPERTIES_H_
#define KEEL_CONTROLLER_META_PROPERTIES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace keel::controller {

struct MetaProperties {
  std::string cluster_id;
  int64_t node_id = -1;
};

// Creates `dir` and writes meta.properties if the directory has none; otherwise checks that
// the stored identity equals `expected`. Returns FailedPrecondition with a message naming both
// identities on a mismatch, and InvalidArgument for an unparsable file.
absl::Status FormatOrCheckDataDir(const std::string& dir, const MetaProperties& expected);

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_META_PROPERTIES_H_
