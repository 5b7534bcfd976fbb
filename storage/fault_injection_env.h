// FaultInjectionEnv: an in-memory Env for tests that can fail the way disks do.
//
// - SimulateCrash(): every file loses the bytes written since its last Sync (optionally
//   keeping the first `torn_bytes` of them: a torn write).
// - FlipBit(): silent corruption of a stored byte.
// - SetSpaceLimit(): writes beyond a total number of stored bytes fail with
//   ResourceExhausted (ENOSPC), after writing what still fits.
// - bytes_read(): every byte read, so tests can prove a lookup does not scan.
// Directory operations (create, rename, delete) are durable at once; SyncDir calls are
// counted so tests can check they happen.
//
// Thread safety: thread-safe.
#ifndef KEEL_STORAGE_FAULT_INJECTION_ENV_H_
#define KEEL_STORAGE_FAULT_INJECTION_ENV_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "storage/env.h"

namespace keel::storage {

class FaultInjectionEnv : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status DeleteFile(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  absl::Status CreateDirs(const std::string& dir) override;
  bool FileExists(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;

  void SimulateCrash(uint64_t torn_bytes = 0);
  void FlipBit(const std::string& path, uint64_t byte_offset, int bit);
  // Cuts a file to exactly `size` bytes (as if only that much reached the disk).
  void CutFile(const std::string& path, uint64_t size);
  void SetSpaceLimit(int64_t total_bytes) { space_limit_bytes_ = total_bytes; }
  uint64_t bytes_read() const { return bytes_read_.load(); }
  uint64_t sync_dir_calls() const { return sync_dir_calls_.load(); }
  uint64_t file_syncs() const { return file_syncs_.load(); }
  std::string Contents(const std::string& path);

 private:
  friend class MemWritableFile;
  friend class MemRandomAccessFile;
  struct File {
    std::string data;
    uint64_t synced = 0;
  };
  int64_t StoredBytesLocked() const;

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<File>> files_;  // guarded by mu_
  std::set<std::string> dirs_;                          // guarded by mu_
  std::atomic<int64_t> space_limit_bytes_{-1};
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> sync_dir_calls_{0};
  std::atomic<uint64_t> file_syncs_{0};
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_FAULT_INJECTION_ENV_H_
