#include "controller/properties_file.h"

#include <fstream>

#include <gflags/gflags.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace keel::controller {

absl::StatusOr<std::map<std::string, std::string>> ReadPropertiesFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open properties file ", path));
  std::map<std::string, std::string> props;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == '!') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_number, ": expected key=value, got '", l, "'"));
    }
    std::string key = absl::StrReplaceAll(absl::StripAsciiWhitespace(l.substr(0, eq)),
                                          {{".", "_"}, {"-", "_"}});
    props[key] = std::string(absl::StripAsciiWhitespace(l.substr(eq + 1)));
  }
  return props;
}

absl::Status ApplyPropertiesFileToFlags(const std::string& path) {
  auto props = ReadPropertiesFile(path);
  if (!props.ok()) return props.status();
  for (const auto& [key, value] : *props) {
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(key.c_str(), &info)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": unknown key '", key, "'"));
    }
    if (!info.is_default) continue;  // the command line wins
    if (gflags::SetCommandLineOption(key.c_str(), value.c_str()).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": invalid value '", value, "' for '", key, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace keel::controller
