// FaultInjectionEnv: a MemEnv that fails the way disks do, for crash and corruption tests.
//
// - SimulateCrash(torn_bytes): the machine loses power. Every file keeps its synced bytes
//   plus at most `torn_bytes` of what was written after (a torn last write; with
//   torn_bytes_are_zeros those bytes read back as zeros, as a sector allocated but never
//   written does). Directory entries created since their directory's last SyncDir vanish;
//   entries deleted or renamed away since then come back.
// - FlipBit(): silent corruption of one stored bit. CutFile(): a file cut to a given size.
// - SetSpaceLimit() / FailWritesAfter(): appends beyond a total number of stored bytes
//   write what still fits and fail with ResourceExhausted ("No space left on device").
// - FailSyncs(): every fsync fails with an I/O error (the disk went away).
// - SetSyncDelay(): every fsync takes this long, so group commit becomes observable.
//
// Thread safety: thread-safe.
#ifndef KEEL_STORAGE_FAULT_INJECTION_ENV_H_
#define KEEL_STORAGE_FAULT_INJECTION_ENV_H_

#include <atomic>
#include <chrono>
#include <string>

#include "storage/mem_env.h"

namespace keel::storage {

class FaultInjectionEnv : public MemEnv {
 public:
  void SimulateCrash(uint64_t torn_bytes = 0, bool torn_bytes_are_zeros = false);
  void FlipBit(const std::string& path, uint64_t byte_offset, int bit);
  void CutFile(const std::string& path, uint64_t size);

  // -1 lifts the limit.
  void SetSpaceLimit(int64_t total_bytes) { space_limit_bytes_ = total_bytes; }
  // ENOSPC once `bytes` more bytes have been appended (across all files).
  void FailWritesAfter(int64_t bytes);
  void FailSyncs(bool fail) { fail_syncs_ = fail; }
  void SetSyncDelay(std::chrono::microseconds delay) { sync_delay_us_ = delay.count(); }

 protected:
  absl::Status BeforeAppendLocked(size_t* n) override;
  absl::Status BeforeSync() override;

 private:
  std::atomic<int64_t> space_limit_bytes_{-1};
  std::atomic<bool> fail_syncs_{false};
  std::atomic<int64_t> sync_delay_us_{0};
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_FAULT_INJECTION_ENV_H_
