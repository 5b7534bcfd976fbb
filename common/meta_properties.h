// meta.properties: the identity a data directory is formatted with (as in Kafka's
// `kafka-storage format`). A node refuses to start on a directory formatted for another
// cluster or another node, so a mistyped --data_dir can never mix two clusters' logs.
//
// On-disk format (a properties file, common/properties_file.h):
//   version=1
//   cluster.id=<cluster id>
//   node.id=<node id>
// Written atomically through storage::Env (meta.properties.tmp, fsync, rename, directory
// fsync), so the fault-injection Env reaches it too.
#ifndef KEEL_COMMON_META_PROPERTIES_H_
#define KEEL_COMMON_META_PROPERTIES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "storage/env.h"

namespace keel::common {

struct MetaProperties {
  std::string cluster_id;
  int64_t node_id = -1;
};

// Creates `dir` and writes meta.properties if the directory has none; otherwise checks that
// the stored identity equals `expected`. Returns FailedPrecondition with a message naming both
// identities on a mismatch, and InvalidArgument for an unparsable file.
absl::Status FormatOrCheckDataDir(const std::string& dir, const MetaProperties& expected,
                                  storage::Env* env = storage::Env::Default());

}  // namespace keel::common

#endif  // KEEL_COMMON_META_PROPERTIES_H_
