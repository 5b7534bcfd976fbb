// Proposal: the records one leader-side operation will propose, built against a working copy
// of the leader's image. Each record is applied to the working copy as it is added, so
// later records see the effect of earlier ones (e.g. fencing two brokers in one batch) and
// the batch is known to apply cleanly on every node, which runs the same Apply.
// The image is copied only when the first record is added: most heartbeats add none. A
// Scratch proposal never copies it: it checks records against an image holding only what
// was seeded, for batches that touch only entities they create or seed (topic operations),
// so creating a topic costs the same on a small and on a large cluster.
#ifndef KEEL_CONTROLLER_LOGIC_PROPOSAL_H_
#define KEEL_CONTROLLER_LOGIC_PROPOSAL_H_

#include <optional>

#include "absl/status/status.h"
#include "metadata/metadata_image.h"
#include "proto/metadata.pb.h"

namespace keel::controller {

class Proposal {
 public:
  // Checks records against a copy of `base`, which must outlive the proposal.
  explicit Proposal(const metadata::MetadataImage& base) : base_(&base) {}

  // An empty working image whose next offset follows `applied_offset`.
  static Proposal Scratch(int64_t applied_offset);
  // Applies `record` to the working image without proposing it (what the batch builds on).
  absl::Status Seed(const metadata::MetadataRecord& record);

  // The image as it will be once the records added so far apply.
  const metadata::MetadataImage& image() const { return working_ ? *working_ : *base_; }

  // Applies `record` to the working copy and appends it. A failure means the leader built a
  // record its own state machine rejects (a bug): the record is not appended.
  absl::Status Add(metadata::MetadataRecord record);

  const metadata::MetadataRecordBatch& batch() const { return batch_; }
  metadata::MetadataRecordBatch TakeBatch() { return std::move(batch_); }

 private:
  Proposal() = default;

  const metadata::MetadataImage* base_ = nullptr;  // null for a scratch proposal
  int64_t offset_ = 0;                             // where the records are applied in working_
  std::optional<metadata::MetadataImage> working_;
  metadata::MetadataRecordBatch batch_;
};

}  // namespace keel::controller

#endif  // KEEL_CONTROLLER_LOGIC_PROPOSAL_H_
