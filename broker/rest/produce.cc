#include "broker/rest/produce.h"

#include <condition_variable>
#include <memory>
#include <mutex>

namespace keel::rest {

std::vector<absl::StatusOr<client::RecordMetadata>> ProduceAndWait(
    client::Producer& producer, const std::string& topic, const std::vector<ProduceItem>& items) {
  // Shared with the callbacks, which may run after this function would otherwise return.
  struct Pending {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
    std::vector<absl::StatusOr<client::RecordMetadata>> results;
  };
  auto pending = std::make_shared<Pending>();
  pending->remaining = items.size();
  pending->results.assign(items.size(), absl::UnknownError("not sent"));
  for (size_t i = 0; i < items.size(); ++i) {
    const ProduceItem& item = items[i];
    client::ProducerRecordView view;
    view.topic = topic;
    if (item.key.has_value()) view.key = absl::string_view(*item.key);
    view.value = item.value;
    view.headers = item.headers.empty() ? nullptr : &item.headers;
    view.partition = item.partition;
    absl::Status sent = producer.Send(view, [pending, i](const absl::StatusOr<client::RecordMetadata>& r) {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->results[i] = r;
      if (--pending->remaining == 0) pending->cv.notify_all();
    });
    if (!sent.ok()) {
      std::lock_guard<std::mutex> lock(pending->mu);
      pending->results[i] = sent;
      --pending->remaining;
    }
  }
  std::unique_lock<std::mutex> lock(pending->mu);
  pending->cv.wait(lock, [&] { return pending->remaining == 0; });
  return pending->results;
}

}  // namespace keel::rest
