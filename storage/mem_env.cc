#include "storage/mem_env.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace keel::storage {
namespace {

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

}  // namespace

class MemWritableFile : public WritableFile {
 public:
  MemWritableFile(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}

  absl::Status Append(absl::string_view data) override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it == env_->files_.end()) return absl::NotFoundError(path_ + " was deleted");
    size_t n = data.size();
    absl::Status s = env_->BeforeAppendLocked(&n);
    it->second->data.append(data.data(), std::min(n, data.size()));
    return s.ok() ? s : absl::Status(s.code(), absl::StrCat("write ", path_, ": ", s.message()));
  }

  absl::Status Sync() override {
    if (absl::Status s = env_->BeforeSync(); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("fdatasync ", path_, ": ", s.message()));
    }
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it != env_->files_.end()) it->second->synced_bytes = it->second->data.size();
    ++env_->file_syncs_;
    return absl::OkStatus();
  }

  absl::Status Close() override { return absl::OkStatus(); }

 private:
  MemEnv* env_;
  std::string path_;
};

class MemRandomAccessFile : public RandomAccessFile {
 public:
  MemRandomAccessFile(MemEnv* env, std::string path) : env_(env), path_(std::move(path)) {}

  absl::Status Read(uint64_t offset, size_t n, std::string* out) const override {
    std::lock_guard<std::mutex> lock(env_->mu_);
    auto it = env_->files_.find(path_);
    if (it == env_->files_.end()) return absl::NotFoundError(path_ + ": no such file");
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
  MemEnv* env_;
  std::string path_;
};

int64_t MemEnv::StoredBytesLocked() const {
  int64_t total = 0;
  for (const auto& [path, f] : files_) total += static_cast<int64_t>(f->data.size());
  return total;
}

absl::StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!files_.count(path)) files_[path] = std::make_shared<File>();
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path));
}

absl::StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& f = files_[path];
  if (f == nullptr) f = std::make_shared<File>();
  // Same inode, emptied: like O_TRUNC, which a crash may or may not undo; we say it sticks.
  f->data.clear();
  f->synced_bytes = 0;
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, path));
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(
    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!files_.count(path)) return absl::NotFoundError(path + ": no such file");
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(this, path));
}

absl::StatusOr<uint64_t> MemEnv::FileSize(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return absl::NotFoundError(path + ": no such file");
  return it->second->data.size();
}

absl::Status MemEnv::Truncate(const std::string& path, uint64_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  if (it == files_.end()) return absl::NotFoundError(path + ": no such file");
  File& f = *it->second;
  f.data.resize(std::min<uint64_t>(size, f.data.size()));
  // Env::Truncate is durable (the POSIX Env fdatasyncs after ftruncate).
  f.synced_bytes = f.data.size();
  return absl::OkStatus();
}

absl::Status MemEnv::RenameFile(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it == files_.end()) return absl::NotFoundError(from + ": no such file");
  std::shared_ptr<File> f = it->second;
  files_.erase(it);
  files_[to] = std::move(f);
  return absl::OkStatus();
}

absl::Status MemEnv::DeleteFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  if (files_.erase(path) == 0) return absl::NotFoundError(path + ": no such file");
  return absl::OkStatus();
}

absl::Status MemEnv::DeleteDirRecursively(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string prefix = dir + "/";
  auto under = [&](const std::string& path) {
    return path == dir || absl::StartsWith(path, prefix);
  };
  for (auto* entries : {&files_, &durable_}) {
    for (auto it = entries->begin(); it != entries->end();) {
      it = under(it->first) ? entries->erase(it) : std::next(it);
    }
  }
  for (auto it = dirs_.begin(); it != dirs_.end();) {
    it = under(*it) ? dirs_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemEnv::GetChildren(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  const std::string prefix = dir + "/";
  for (const auto& [path, f] : files_) {
    if (absl::StartsWith(path, prefix) && path.find('/', prefix.size()) == std::string::npos) {
      out.push_back(path.substr(prefix.size()));
    }
  }
  return out;
}

absl::Status MemEnv::CreateDirs(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  dirs_.insert(dir);  // directories themselves are durable at once: a simplification
  return absl::OkStatus();
}

bool MemEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  return files_.count(path) > 0 || dirs_.count(path) > 0;
}

absl::Status MemEnv::SyncDir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  ++sync_dir_calls_;
  for (auto it = durable_.begin(); it != durable_.end();) {
    it = Parent(it->first) == dir ? durable_.erase(it) : std::next(it);
  }
  for (const auto& [path, f] : files_) {
    if (Parent(path) == dir) durable_[path] = f;
  }
  return absl::OkStatus();
}

void MemEnv::CrashLocked(uint64_t torn_bytes, bool torn_bytes_are_zeros) {
  files_ = durable_;
  for (auto& [path, f] : files_) {
    const uint64_t keep = std::min<uint64_t>(f->data.size(), f->synced_bytes + torn_bytes);
    if (torn_bytes_are_zeros) {
      std::fill(f->data.begin() + static_cast<int64_t>(f->synced_bytes),
                f->data.begin() + static_cast<int64_t>(keep), '\0');
    }
    f->data.resize(keep);
    f->synced_bytes = keep;
  }
}

std::string MemEnv::Contents(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(path);
  return it == files_.end() ? "" : it->second->data;
}

}  // namespace keel::storage
