#include "common/meta_properties.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/properties_file.h"

namespace keel::common {
namespace {

constexpr char kFileName[] = "meta.properties";

std::string Format(const MetaProperties& props) {
  return absl::StrCat("# Written by Keel when this data directory was formatted. Do not edit.\n",
                      "version=1\n", "cluster.id=", props.cluster_id, "\n",
                      "node.id=", props.node_id, "\n");
}

absl::StatusOr<MetaProperties> Read(storage::Env* env, const std::string& path) {
  auto props = ReadPropertiesFile(env, path);
  if (!props.ok()) return props.status();
  auto cluster = props->find("cluster.id");
  auto node = props->find("node.id");
  if (cluster == props->end() || node == props->end()) {
    return absl::InvalidArgumentError(path + ": missing cluster.id or node.id");
  }
  MetaProperties stored;
  stored.cluster_id = cluster->second;
  if (!absl::SimpleAtoi(node->second, &stored.node_id)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": bad node.id '", node->second, "'"));
  }
  return stored;
}

}  // namespace

absl::Status FormatOrCheckDataDir(const std::string& dir, const MetaProperties& expected,
                                  storage::Env* env) {
  if (absl::Status s = env->CreateDirs(dir); !s.ok()) {
    return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", s.message()));
  }
  const std::string path = dir + "/" + kFileName;
  if (!env->FileExists(path)) return storage::WriteFileAtomically(env, path, Format(expected));

  absl::StatusOr<MetaProperties> stored = Read(env, path);
  if (!stored.ok()) return stored.status();
  if (stored->cluster_id != expected.cluster_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " belongs to cluster '", stored->cluster_id,
                     "', but this node was started with cluster id '", expected.cluster_id, "'"));
  }
  if (stored->node_id != expected.node_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " belongs to node ", stored->node_id,
                     ", but this node was started as node ", expected.node_id));
  }
  return absl::OkStatus();
}

}  // namespace keel::common
