#include "broker/rest/produce.h"

namespace keel::rest {

std::shared_ptr<ProduceStream> ProduceStream::Create(client::Producer* producer,
                                                     std::string topic) {
  return std::shared_ptr<ProduceStream>(new ProduceStream(producer, std::move(topic)));
}

size_t ProduceStream::Send(const ProduceItem& item) {
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = outcomes_.size();
    outcomes_.emplace_back();
  }
  client::ProducerRecordView view;
  view.topic = topic_;
  if (item.key.has_value()) view.key = absl::string_view(*item.key);
  if (item.value.has_value()) view.value = absl::string_view(*item.value);
  view.headers = item.headers.empty() ? nullptr : &item.headers;
  view.partition = item.partition;
  // The callback keeps the stream alive: it may run after the request is gone.
  std::shared_ptr<ProduceStream> self = shared_from_this();
  absl::Status sent =
      producer_->Send(view, [self, index](const absl::StatusOr<client::RecordMetadata>& r) {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->outcomes_[index] = r;
        self->cv_.notify_all();
      });
  if (!sent.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    outcomes_[index] = sent;
    cv_.notify_all();
  }
  return index;
}

absl::StatusOr<client::RecordMetadata> ProduceStream::Wait(size_t index) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return outcomes_[index].has_value(); });
  return *outcomes_[index];
}

std::vector<absl::StatusOr<client::RecordMetadata>> ProduceAndWait(
    client::Producer& producer, const std::string& topic, const std::vector<ProduceItem>& items) {
  std::shared_ptr<ProduceStream> stream = ProduceStream::Create(&producer, topic);
  for (const ProduceItem& item : items) stream->Send(item);
  std::vector<absl::StatusOr<client::RecordMetadata>> outcomes;
  outcomes.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) outcomes.push_back(stream->Wait(i));
  return outcomes;
}

}  // namespace keel::rest
