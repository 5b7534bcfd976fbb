#include "tests/e2e/disk_faults.h"

#include <filesystem>
#include <fstream>
#include <regex>

namespace keel::e2e {

absl::StatusOr<std::string> ActiveSegment(const std::string& log_dir) {
  static const std::regex kSegment(R"(\d{20}\.log)");
  std::string best;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(log_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, kSegment) && name > best) best = name;
  }
  if (ec) return absl::NotFoundError(log_dir + ": " + ec.message());
  if (best.empty()) return absl::NotFoundError("no segment in " + log_dir);
  return log_dir + "/" + best;
}

absl::StatusOr<int64_t> TruncateTail(const std::string& path, int64_t bytes) {
  std::error_code ec;
  const auto size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return absl::NotFoundError(path + ": " + ec.message());
  if (size < bytes) return absl::FailedPreconditionError(path + " is too short");
  std::filesystem::resize_file(path, static_cast<uintmax_t>(size - bytes), ec);
  if (ec) return absl::InternalError(path + ": " + ec.message());
  return size - bytes;
}

absl::Status FlipBitNearEnd(const std::string& path, int64_t bytes_from_end) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f) return absl::NotFoundError("cannot open " + path);
  f.seekg(0, std::ios::end);
  const int64_t size = f.tellg();
  if (size < bytes_from_end) return absl::FailedPreconditionError(path + " is too short");
  const int64_t pos = size - bytes_from_end;
  f.seekg(pos);
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(pos);
  f.write(&c, 1);
  f.flush();
  if (!f) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

}  // namespace keel::e2e
