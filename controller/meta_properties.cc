#include "controller/meta_properties.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace keel::controller {
namespace {

constexpr char kFileName[] = "meta.properties";

absl::Status ErrnoError(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return ErrnoError("open " + path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return ErrnoError("fsync " + path);
  return absl::OkStatus();
}

absl::Status WriteFile(const std::string& dir, const MetaProperties& props) {
  std::string tmp = dir + "/" + kFileName + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "# Written by Keel when this data directory was formatted. Do not edit.\n"
        << "version=1\n"
        << "cluster.id=" << props.cluster_id << "\n"
        << "node.id=" << props.node_id << "\n";
    if (!out.good()) return absl::InternalError("cannot write " + tmp);
  }
  if (auto s = FsyncPath(tmp, O_RDONLY); !s.ok()) return s;
  if (::rename(tmp.c_str(), (dir + "/" + kFileName).c_str()) != 0) {
    return ErrnoError("rename " + tmp);
  }
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

absl::Status ReadFile(const std::string& path, MetaProperties* props) {
  std::ifstream in(path);
  if (!in) return ErrnoError("open " + path);
  std::string line;
  bool have_cluster = false, have_node = false;
  while (std::getline(in, line)) {
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": malformed line '", l, "'"));
    }
    absl::string_view key = l.substr(0, eq), value = l.substr(eq + 1);
    if (key == "cluster.id") {
      props->cluster_id = std::string(value);
      have_cluster = true;
    } else if (key == "node.id") {
      if (!absl::SimpleAtoi(value, &props->node_id)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": bad node.id '", value, "'"));
      }
      have_node = true;
    }
  }
  if (!have_cluster || !have_node) {
    return absl::InvalidArgumentError(path + ": missing cluster.id or node.id");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status FormatOrCheckDataDir(const std::string& dir, const MetaProperties& expected) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", ec.message()));
  std::string path = dir + "/" + kFileName;
  if (!std::filesystem::exists(path)) return WriteFile(dir, expected);

  MetaProperties stored;
  if (auto s = ReadFile(path, &stored); !s.ok()) return s;
  if (stored.cluster_id != expected.cluster_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " belongs to cluster '", stored.cluster_id,
                     "', but this node was started with cluster id '", expected.cluster_id, "'"));
  }
  if (stored.node_id != expected.node_id) {
    return absl::FailedPreconditionError(
        absl::StrCat("data dir ", dir, " belongs to node ", stored.node_id,
                     ", but this node was started as node ", expected.node_id));
  }
  return absl::OkStatus();
}

}  // namespace keel::controller
