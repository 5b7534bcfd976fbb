// Disk faults on a stopped node's segmented log (docs/formats/segment.md): cut the active
// segment's tail or flip a bit in it.
#ifndef KEEL_TESTS_E2E_DISK_FAULTS_H_
#define KEEL_TESTS_E2E_DISK_FAULTS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace keel::e2e {

// The active (highest base offset) `<20 digits>.log` segment in `log_dir`.
absl::StatusOr<std::string> ActiveSegment(const std::string& log_dir);
// Cuts `bytes` off the end of `path` (a torn write); returns the new size.
absl::StatusOr<int64_t> TruncateTail(const std::string& path, int64_t bytes);
// Flips one bit of the byte `bytes_from_end` bytes before the end of `path`.
absl::Status FlipBitNearEnd(const std::string& path, int64_t bytes_from_end);

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_DISK_FAULTS_H_
