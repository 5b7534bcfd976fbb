#include "storage/fault_injection_env.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::storage {

class MemWritableFile : public WritableFile {
 public:
  MemWritableFile(FaultInjectionEnv* env, std::string path)
      : env_(env), path_(std::move(path)) {}
  absl::Status Append(absl::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it == env_->files_.end()) return absl::NotFoundError(path_ + " was deleted");
    int64_t limit = env_->space_limit_bytes_.load();
    size_t n = data.size();
    bool full = false;
    if (limit >= 0) {
      int64_t room = std::max<int64_t>(0, limit - env_->StoredBytesLocked());
      if (static_cast<int64_t>(n) > room) {
        n = static_cast<size_t>(room);
        full = true;
      }
    }
    it->second->data.append(data.data(), n);
    if (full) {
      return absl::ResourceExhaustedError(
          absl::StrCat("write ", path_, ": No space left on device (ENOSPC)"));
    }
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it != env_->files_.end()) it->second->synced = it->second->data.size();
    ++env_->file_syncs_;
    return absl::OkStatus();
  }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
};

class MemRandomAccessFile : public RandomAccessFile {
 public:
  MemRandomAccessFile(FaultInjectionEnv* env, std::string path)
      : env_(env), path_(std::move(path)) {}
  absl::Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it == env_->files_.end()) return absl::NotFoundError(path_);
    const std::string& data = it->second->data;
    if (offset >= data.size()) {
      out->clear();
      return absl::OkStatus();
    }
    *out = data.substr(offset, n);
    env_->bytes_read_ += out->size();
    return absl::OkStatus();
  }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
};

int64_t FaultInjectionEnv::StoredBytesLocked() const {
  int64_t total = 0;
  for (const auto& [path, f] : files_) total += static_cast<int64_t>(f->data.size());
  return total;
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::NewAppendableFile(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!files_.count(path)) files_[path] = std::make_shared<File>();
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path));
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> FaultInjectionEnv::NewRandomAccessFile(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!files_.count(path)) return absl::NotFoundError(path + ": no such file");
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(this, path));
}

absl::StatusOr<uint64_t> FaultInjectionEnv::FileSize(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return absl::NotFoundError(path + ": no such file");
  return it->second->data.size();
}

absl::Status FaultInjectionEnv::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return absl::NotFoundError(path + ": no such file");
  it->second->data.resize(std::min<uint64_t>(size, it->second->data.size()));
  it->second->synced = std::min<uint64_t>(it->second->synced, it->second->data.size());
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return absl::NotFoundError(from + ": no such file");
  files_[to] = it->second;
  files_.erase(it);
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DeleteFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0) return absl::NotFoundError(path + ": no such file");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  std::string prefix = dir + "/";
  for (const auto& [path, f] : files_) {
    if (absl::StartsWith(path, prefix) && path.find('/', prefix.size()) == std::string::npos) {
      out.push_back(path.substr(prefix.size()));
    }
  }
  return out;
}

absl::Status FaultInjectionEnv::CreateDirs(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  dirs_.insert(dir);
  return absl::OkStatus();
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

absl::Status FaultInjectionEnv::SyncDir(const std::string&) {
  ++sync_dir_calls_;
  return absl::OkStatus();
}

void FaultInjectionEnv::SimulateCrash(uint64_t torn_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [path, f] : files_) {
    f->data.resize(std::min<uint64_t>(f->data.size(), f->synced + torn_bytes));
    f->synced = f->data.size();
  }
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
    it->second->synced = it->second->data.size();
  }
}

std::string FaultInjectionEnv::Contents(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? "" : it->second->data;
}

}  // namespace keel::storage
