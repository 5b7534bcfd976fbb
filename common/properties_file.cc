#include "common/properties_file.h"

#include <gflags/gflags.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace keel::common {

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParsePropertyLines(
    absl::string_view text, absl::string_view source) {
  std::vector<std::pair<std::string, std::string>> props;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#' || l[0] == '!') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line_number, ": expected key=value, got '", l, "'"));
    }
    props.emplace_back(absl::StripAsciiWhitespace(l.substr(0, eq)),
                       absl::StripAsciiWhitespace(l.substr(eq + 1)));
  }
  return props;
}

absl::StatusOr<Properties> ParseProperties(absl::string_view text, absl::string_view source) {
  auto lines = ParsePropertyLines(text, source);
  if (!lines.ok()) return lines.status();
  Properties props;
  for (auto& [key, value] : *lines) props[key] = std::move(value);
  return props;
}

namespace {

absl::StatusOr<std::string> ReadText(storage::Env* env, const std::string& path) {
  absl::StatusOr<std::string> text = storage::ReadWholeFile(env, path);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat("cannot open properties file ", path,
                                                           ": ", text.status().message()));
  }
  return text;
}

}  // namespace

absl::StatusOr<Properties> ReadPropertiesFile(storage::Env* env, const std::string& path) {
  absl::StatusOr<std::string> text = ReadText(env, path);
  if (!text.ok()) return text.status();
  return ParseProperties(*text, path);
}

absl::Status ApplyPropertiesFileToFlags(const std::string& path, storage::Env* env) {
  absl::StatusOr<std::string> text = ReadText(env, path);
  if (!text.ok()) return text.status();
  auto lines = ParsePropertyLines(*text, path);
  if (!lines.ok()) return lines.status();
  Properties flags;  // by flag name; of two spellings of one key the later line wins
  for (const auto& [written_key, value] : *lines) {
    flags[absl::StrReplaceAll(written_key, {{".", "_"}, {"-", "_"}})] = value;
  }
  for (const auto& [key, value] : flags) {
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

}  // namespace keel::common
