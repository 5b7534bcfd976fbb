// MemEnv: the in-memory twin of the POSIX Env, for tests.
//
// It models what a disk promises and no more: every file remembers how many of its bytes
// were synced, and every directory remembers which entries it held at its last SyncDir.
// FaultInjectionEnv (fault_injection_env.h) builds on that to simulate a crash, which
// keeps only the synced state, plus torn writes, bit flips, ENOSPC and failing fsyncs.
//
// It also counts what tests want to prove: bytes read (a lookup must not scan a segment),
// file syncs (group commit) and directory syncs.
//
// Thread safety: thread-safe; one mutex guards the whole file system.
#ifndef KEEL_STORAGE_MEM_ENV_H_
#define KEEL_STORAGE_MEM_ENV_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "storage/env.h"

namespace keel::storage {

class MemEnv : public Env {
 public:
  MemEnv() = default;
  MemEnv(const MemEnv&) = delete;
  MemEnv& operator=(const MemEnv&) = delete;
  ~MemEnv() override = default;

  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status RenameFile(const std::string& from, const std::string& to) override;
  absl::Status DeleteFile(const std::string& path) override;
  // Durable at once (crashes do not bring the entries back): a simplification, as for
  // directory creation.
  absl::Status DeleteDirRecursively(const std::string& dir) override;
  absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override;
  absl::Status CreateDirs(const std::string& dir) override;
  bool FileExists(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;

  // The current (not necessarily durable) contents of `path`; empty if absent.
  std::string Contents(const std::string& path);
  uint64_t bytes_read() const { return bytes_read_.load(); }
  uint64_t file_syncs() const { return file_syncs_.load(); }
  uint64_t sync_dir_calls() const { return sync_dir_calls_.load(); }

 protected:
  struct File {
    std::string data;
    uint64_t synced_bytes = 0;  // data[0, synced_bytes) survives a crash
  };
  friend class MemWritableFile;
  friend class MemRandomAccessFile;

  // Hooks for FaultInjectionEnv, called with mu_ held. BeforeAppend may lower *n (the bytes
  // that fit) and return an error to report after writing them; BeforeSync may fail.
  virtual absl::Status BeforeAppendLocked(size_t* n) {
    (void)n;
    return absl::OkStatus();
  }
  virtual absl::Status BeforeSync() { return absl::OkStatus(); }

  int64_t StoredBytesLocked() const;
  // Forgets everything not durable: unsynced bytes beyond `torn_bytes` per file, entries
  // created since their directory's last SyncDir; deleted entries not yet synced come back.
  void CrashLocked(uint64_t torn_bytes, bool torn_bytes_are_zeros);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<File>> files_;    // guarded by mu_
  std::map<std::string, std::shared_ptr<File>> durable_;  // entries as of the last SyncDir
  std::set<std::string> dirs_;                            // guarded by mu_
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> file_syncs_{0};
  std::atomic<uint64_t> sync_dir_calls_{0};
};

}  // namespace keel::storage

#endif  // KEEL_STORAGE_MEM_ENV_H_
