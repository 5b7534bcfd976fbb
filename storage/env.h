// Env: every file-system call the storage layer makes (the LevelDB pattern). The POSIX Env
// is the real thing; FaultInjectionEnv (fault_injection_env.h) is its in-memory twin for tests.
//
// Thread safety: Env implementations are thread-safe. A WritableFile is used by one thread at
// a time (the log serializes appends), except that Sync() may run concurrently with Append().
#ifndef KEEL_STORAGE_ENV_H_
#define KEEL_STORAGE_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace keel::storage {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends at the end of the file. On failure (e.g. ENOSPC) part of `data` may have been
  // written; the caller truncates back to the size it had.
  virtual absl::Status Append(absl::string_view data) = 0;
  // Makes everything appended durable (fdatasync).
  virtual absl::Status Sync() = 0;
  virtual absl::Status Close() = 0;
};

class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to n bytes at offset into *out (fewer at end of file).
  virtual absl::Status Read(uint64_t offset, size_t n, std::string* out) const = 0;
};

class Env {
 public:
  virtual ~Env() = default;
  static Env* Default();

  // Opens `path` for appending, creating it if needed.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) = 0;
  // Creates `path`, or truncates it to empty, and opens it for appending.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Shrinks the file to `size` bytes, durably.
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual absl::Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual absl::Status DeleteFile(const std::string& path) = 0;
  // Deletes `dir` and everything under it (rm -r). A missing `dir` is not an error: there is
  // nothing left to delete. Durable once the parent directory is synced.
  virtual absl::Status DeleteDirRecursively(const std::string& dir) = 0;
  virtual absl::StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual absl::Status CreateDirs(const std::string& dir) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // fsync of a directory, so file creations, renames and deletions in it are durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

// Writes `data` to `path` so that a crash leaves either the old or the new contents:
// temp file, sync, rename, directory sync.
absl::Status WriteFileAtomically(Env* env, const std::string& path, absl::string_view data);
absl::StatusOr<std::string> ReadWholeFile(Env* env, const std::string& path);

}  // namespace keel::storage

#endif  // KEEL_STORAGE_ENV_H_
