#include "storage/fault_injection_env.h"

#include <algorithm>
#include <thread>

namespace keel::storage {

void FaultInjectionEnv::SimulateCrash(uint64_t torn_bytes, bool torn_bytes_are_zeros) {
  std::lock_guard<std::mutex> lock(mu_);
  CrashLocked(torn_bytes, torn_bytes_are_zeros);
}

void FaultInjectionEnv::FlipBit(const std::string& path, uint64_t byte_offset, int bit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end() && byte_offset < it->second->data.size()) {
    it->second->data[byte_offset] ^= static_cast<char>(1 << bit);
  }
}

void FaultInjectionEnv::CutFile(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it != files_.end()) {
    it->second->data.resize(std::min<uint64_t>(size, it->second->data.size()));
    it->second->synced_bytes = it->second->data.size();
  }
}

void FaultInjectionEnv::FailWritesAfter(int64_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  space_limit_bytes_ = StoredBytesLocked() + bytes;
}

absl::Status FaultInjectionEnv::BeforeAppendLocked(size_t* n) {
  const int64_t limit = space_limit_bytes_.load();
  if (limit < 0) return absl::OkStatus();
  const int64_t room = std::max<int64_t>(0, limit - StoredBytesLocked());
  if (static_cast<int64_t>(*n) <= room) return absl::OkStatus();
  *n = static_cast<size_t>(room);
  return absl::ResourceExhaustedError("No space left on device (ENOSPC)");
}

absl::Status FaultInjectionEnv::BeforeSync() {
  if (int64_t us = sync_delay_us_.load(); us > 0) {
    std::this_thread::sleep_for(std::chrono::microseconds(us));
  }
  if (fail_syncs_) return absl::InternalError("Input/output error (EIO)");
  return absl::OkStatus();
}

}  // namespace keel::storage
