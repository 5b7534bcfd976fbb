#include "controller/logic/proposal.h"

#include "absl/strings/str_cat.h"

namespace keel::controller {

Proposal Proposal::Scratch(int64_t applied_offset) {
  Proposal p;
  p.working_.emplace();
  p.offset_ = applied_offset + 1;
  return p;
}

absl::Status Proposal::Seed(const metadata::MetadataRecord& record) {
  if (!working_) {
    working_ = *base_;
    offset_ = base_->applied_offset() + 1;
  }
  return working_->Apply(record, offset_);
}

absl::Status Proposal::Add(metadata::MetadataRecord record) {
  if (!working_) {
    working_ = *base_;
    // One offset past the base: where the batch would commit at the earliest. Only broker
    // epochs of new registrations depend on it, and the caller never reports those.
    offset_ = base_->applied_offset() + 1;
  }
  absl::Status s = working_->Apply(record, offset_);
  if (!s.ok()) {
    return absl::InternalError(
        absl::StrCat("the leader built a record its image rejects: ", s.message()));
  }
  *batch_.add_records() = std::move(record);
  return absl::OkStatus();
}

}  // namespace keel::controller
