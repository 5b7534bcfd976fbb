#include "broker/kafka/producer_id_block.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace keel::broker::kafka {

ProducerIdBlock::ProducerIdBlock(ControllerAdmin* admin, int32_t broker_id,
                                 std::function<int64_t()> broker_epoch)
    : admin_(admin), broker_id_(broker_id), broker_epoch_(std::move(broker_epoch)) {}

absl::StatusOr<int64_t> ProducerIdBlock::NextId() {
  std::unique_lock<std::mutex> lock(mu_);
  while (fetching_) {
    if (next_ < end_) return next_++;
    // Another caller is fetching: wait for its outcome rather than fetch a second block. If
    // it succeeded but others used the block up meanwhile, look again (maybe fetch).
    const uint64_t seen = fetches_done_;
    fetched_.wait(lock, [&] { return fetches_done_ != seen; });
    if (next_ >= end_ && !last_fetch_.ok()) return last_fetch_;
  }
  if (next_ < end_) return next_++;
  fetching_ = true;
  lock.unlock();
  absl::StatusOr<std::pair<int64_t, int64_t>> block = Fetch();  // no lock across the call
  lock.lock();
  fetching_ = false;
  ++fetches_done_;
  last_fetch_ = block.status();
  if (block.ok()) {
    next_ = block->first;
    end_ = block->second;
  }
  fetched_.notify_all();
  if (!block.ok()) return block.status();
  return next_++;  // Fetch never returns an empty block
}

absl::StatusOr<std::pair<int64_t, int64_t>> ProducerIdBlock::Fetch() {
  controller::AllocateProducerIdsRequest request;
  request.set_broker_id(broker_id_);
  request.set_broker_epoch(broker_epoch_());
  controller::AllocateProducerIdsResponse response;
  grpc::Status status = admin_->AllocateProducerIds(request, &response);
  if (!status.ok()) {
    return absl::UnavailableError(
        absl::StrCat("AllocateProducerIds: ", status.error_message()));
  }
  if (response.error() != keel::NONE) {
    return absl::UnavailableError(absl::StrCat(
        "AllocateProducerIds: ", keel::ErrorCode_Name(response.error()), ": ", response.error_message()));
  }
  if (response.producer_id_start() < 0 || response.producer_id_len() <= 0) {
    return absl::UnavailableError(absl::StrCat("AllocateProducerIds: bad block ",
                                               response.producer_id_start(), "+",
                                               response.producer_id_len()));
  }
  return std::make_pair(response.producer_id_start(),
                        response.producer_id_start() + response.producer_id_len());
}

}  // namespace keel::broker::kafka
