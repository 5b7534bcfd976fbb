#include "controller/raft_log_storage.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/crc32c.h"

namespace keel::controller {
namespace {

constexpr char kHardStateKey[] = "raft/hard_state";
// Snapshot file (docs/formats/metadata-snapshot.md): 4-byte magic "KSNP", little-endian u32
// CRC32C of the payload, then the payload: a serialized raft::SnapshotChunk whose metadata
// is the snapshot's and whose data is the whole snapshot. Written with
// storage::WriteFileAtomically: a temp file, fsynced, renamed over the old one, and the
// directory fsynced.
constexpr char kSnapshotMagic[4] = {'K', 'S', 'N', 'P'};

storage::RecordBatch EntryToBatch(const raft::Entry& entry) {
  storage::RecordBatch batch;
  batch.base_offset = static_cast<int64_t>(entry.index());
  batch.leader_epoch = static_cast<int32_t>(entry.term());
  storage::Record record;
  entry.SerializeToString(&record.value);
  batch.records.push_back(std::move(record));
  return batch;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RaftLogStorage>> RaftLogStorage::Open(
    const std::string& dir, storage::StateStore* state, const raft::ConfState& conf,
    int64_t segment_size_bytes, storage::Env* env) {
  std::unique_ptr<RaftLogStorage> s(new RaftLogStorage());
  s->dir_ = dir;
  s->env_ = env;
  s->state_ = state;
  s->conf_ = conf;
  if (auto st = s->LoadSnapshotFile(); !st.ok()) return st;

  storage::LogOptions options;
  options.env = env;
  options.segment_size_bytes = segment_size_bytes;
  options.initial_offset = 1;  // Raft indexes start at 1; offsets equal indexes
  options.flush.every_batch = false;  // Sync() fsyncs once per Ready (group commit)
  auto log = storage::Log::Open(dir + "/metadata-log", options);
  if (!log.ok()) return log.status();
  s->log_ = std::move(*log);

  // A snapshot newer than the log (installed from the leader, then crashed before the log
  // was reset) wins: the log restarts right after it.
  if (s->snapshot_index_ > 0 &&
      (s->log_->log_end_offset() <= static_cast<int64_t>(s->snapshot_index_) ||
       s->log_->log_start_offset() > static_cast<int64_t>(s->snapshot_index_) + 1)) {
    if (auto st = s->log_->Reset(static_cast<int64_t>(s->snapshot_index_) + 1); !st.ok()) {
      return st;
    }
  }

  auto hs = state->Get(kHardStateKey);
  if (!hs.ok()) return hs.status();
  if (hs->has_value() && !s->hard_state_.ParseFromString(**hs)) {
    return absl::DataLossError("raft/hard_state in the state store does not parse");
  }
  return s;
}

absl::StatusOr<raft::PersistedState> RaftLogStorage::InitialState() const {
  raft::PersistedState initial;
  initial.hard_state = hard_state_;
  initial.conf_state = conf_;
  return initial;
}

uint64_t RaftLogStorage::FirstIndex() const {
  return std::max<uint64_t>(snapshot_index_ + 1, static_cast<uint64_t>(log_->log_start_offset()));
}

uint64_t RaftLogStorage::LastIndex() const {
  int64_t end = log_->log_end_offset() - 1;
  return std::max<uint64_t>(snapshot_index_, end < 0 ? 0 : static_cast<uint64_t>(end));
}

absl::StatusOr<uint64_t> RaftLogStorage::Term(uint64_t index) const {
  if (index == snapshot_index_) return snapshot_term_;
  if (index == 0) return 0;
  if (index < FirstIndex()) return raft::CompactedError(index);
  if (index > LastIndex()) return raft::UnavailableError(index);
  auto epoch = log_->EpochAt(static_cast<int64_t>(index));
  if (!epoch.ok()) return epoch.status();
  return static_cast<uint64_t>(*epoch);
}

absl::StatusOr<std::vector<raft::Entry>> RaftLogStorage::Entries(uint64_t lo, uint64_t hi,
                                                                 uint64_t max_bytes) const {
  if (lo < FirstIndex()) return raft::CompactedError(lo);
  if (hi > LastIndex() + 1) return raft::UnavailableError(hi);
  std::vector<raft::Entry> out;
  uint64_t bytes = 0;
  uint64_t next = lo;
  while (next < hi) {
    auto batches = log_->Read(static_cast<int64_t>(next), static_cast<int64_t>(std::max<uint64_t>(max_bytes, 1)));
    if (!batches.ok()) return batches.status();
    if (batches->empty()) break;
    for (const storage::RecordBatch& b : *batches) {
      if (b.base_offset < static_cast<int64_t>(next)) continue;
      if (b.base_offset >= static_cast<int64_t>(hi)) return out;
      raft::Entry entry;
      if (b.records.size() != 1 || !entry.ParseFromString(b.records[0].value)) {
        return absl::DataLossError(
            absl::StrCat("metadata log batch at offset ", b.base_offset, " is not a Raft entry"));
      }
      bytes += entry.ByteSizeLong();
      if (!out.empty() && bytes > max_bytes) return out;
      out.push_back(std::move(entry));
      next = static_cast<uint64_t>(b.base_offset) + 1;
      if (next >= hi) return out;
    }
  }
  return out;
}

absl::StatusOr<raft::Snapshot> RaftLogStorage::GetSnapshot() const {
  if (!snapshot_.has_value()) {
    return raft::UnavailableError(0);
  }
  return *snapshot_;
}

absl::Status RaftLogStorage::Append(const std::vector<raft::Entry>& entries) {
  if (entries.empty()) return absl::OkStatus();
  const int64_t first = static_cast<int64_t>(entries.front().index());
  if (first <= static_cast<int64_t>(snapshot_index_)) {
    return absl::InternalError(absl::StrCat("append at ", first, " is inside the snapshot (",
                                            snapshot_index_, ")"));
  }
  // For an entry to fit into our log, it must not leave a gap; a conflicting suffix is
  // dropped first (Raft guarantees it was never committed).
  if (first < log_->log_end_offset()) {
    if (auto s = log_->TruncateFrom(first); !s.ok()) return s;
  } else if (first > log_->log_end_offset()) {
    return absl::InternalError(absl::StrCat("append at ", first, " leaves a gap after ",
                                            log_->log_end_offset() - 1));
  }
  for (const raft::Entry& e : entries) {
    auto appended = log_->AppendBatch(EntryToBatch(e));
    if (!appended.ok()) return appended.status();
  }
  return absl::OkStatus();
}

absl::Status RaftLogStorage::Sync() { return log_->Flush(); }

absl::Status RaftLogStorage::SetHardState(const raft::HardState& hs) {
  hard_state_ = hs;
  return state_->Put(kHardStateKey, hs.SerializeAsString(), /*sync=*/true);
}

absl::Status RaftLogStorage::ApplySnapshot(const raft::Snapshot& snapshot) {
  if (auto s = WriteSnapshotFile(snapshot); !s.ok()) return s;
  snapshot_ = snapshot;
  snapshot_index_ = snapshot.metadata.index();
  snapshot_term_ = snapshot.metadata.term();
  return log_->Reset(static_cast<int64_t>(snapshot_index_) + 1);
}

absl::Status RaftLogStorage::CreateSnapshot(uint64_t index, std::string data) {
  if (index <= snapshot_index_) return absl::OkStatus();
  auto term = Term(index);
  if (!term.ok()) return term.status();
  raft::Snapshot snapshot;
  snapshot.metadata.set_index(index);
  snapshot.metadata.set_term(*term);
  *snapshot.metadata.mutable_conf_state() = conf_;
  snapshot.data = std::move(data);
  if (auto s = WriteSnapshotFile(snapshot); !s.ok()) return s;
  snapshot_ = std::move(snapshot);
  snapshot_index_ = index;
  snapshot_term_ = *term;
  // Whole segments below the snapshot go; the rest stays until a later snapshot.
  return log_->DeletePrefixBefore(static_cast<int64_t>(index) + 1);
}

absl::Status RaftLogStorage::Close() { return log_->Close(); }

absl::Status RaftLogStorage::WriteSnapshotFile(const raft::Snapshot& snapshot) {
  raft::SnapshotChunk chunk;
  *chunk.mutable_metadata() = snapshot.metadata;
  chunk.set_data(snapshot.data);
  chunk.set_total_bytes(snapshot.data.size());
  chunk.set_last(true);
  std::string payload = chunk.SerializeAsString();
  uint32_t crc = storage::crc32c::Value(payload.data(), payload.size());
  std::string file(kSnapshotMagic, 4);
  const char crc_bytes[4] = {static_cast<char>(crc), static_cast<char>(crc >> 8),
                             static_cast<char>(crc >> 16), static_cast<char>(crc >> 24)};
  file.append(crc_bytes, 4);
  file.append(payload);
  return storage::WriteFileAtomically(env_, dir_ + "/snapshot", file);
}

absl::Status RaftLogStorage::LoadSnapshotFile() {
  std::string path = dir_ + "/snapshot";
  if (!env_->FileExists(path)) return absl::OkStatus();
  absl::StatusOr<std::string> read = storage::ReadWholeFile(env_, path);
  if (!read.ok()) return read.status();
  const std::string& all = *read;
  if (all.size() < 8 || all.compare(0, 4, kSnapshotMagic, 4) != 0) {
    return absl::DataLossError(path + " is not a Keel snapshot");
  }
  uint32_t stored = static_cast<uint8_t>(all[4]) | static_cast<uint8_t>(all[5]) << 8 |
                    static_cast<uint8_t>(all[6]) << 16 |
                    static_cast<uint32_t>(static_cast<uint8_t>(all[7])) << 24;
  if (storage::crc32c::Value(all.data() + 8, all.size() - 8) != stored) {
    return absl::DataLossError(path + " fails its CRC check");
  }
  raft::SnapshotChunk chunk;
  if (!chunk.ParseFromArray(all.data() + 8, static_cast<int>(all.size() - 8))) {
    return absl::DataLossError(path + " does not parse");
  }
  raft::Snapshot snapshot;
  snapshot.metadata = chunk.metadata();
  snapshot.data = chunk.data();
  snapshot_index_ = snapshot.metadata.index();
  snapshot_term_ = snapshot.metadata.term();
  snapshot_ = std::move(snapshot);
  return absl::OkStatus();
}

}  // namespace keel::controller
