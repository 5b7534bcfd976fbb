#include "broker/kafka/dispatcher.h"

#include <chrono>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "kafka/api_keys.h"
#include "kafka/header.h"

namespace keel::broker::kafka {
namespace {

constexpr int16_t kApiVersionsKey = static_cast<int16_t>(keel::kafka::ApiKey::kApiVersions);

}  // namespace

Dispatcher::Dispatcher(std::vector<std::unique_ptr<Handler>> handlers, KafkaMetrics* metrics)
    : metrics_(metrics) {
  for (auto& h : handlers) {
    const int16_t key = h->api_key();
    handlers_[key] = std::move(h);
  }
}

const Handler* Dispatcher::Find(int16_t api_key) const {
  auto it = handlers_.find(api_key);
  return it == handlers_.end() ? nullptr : it->second.get();
}

void Dispatcher::ConnectionsChanged(int delta) {
  if (metrics_ != nullptr) metrics_->ConnectionsChanged(delta);
}

RequestProcessor::Outcome Dispatcher::Process(std::string_view frame, const std::string& peer,
                                              const std::function<bool()>& closing) {
  const auto started = std::chrono::steady_clock::now();
  // The header version follows from the api key and version (also for versions newer than
  // ours, so that an ApiVersions from a newer client still parses).
  auto parsed = keel::kafka::ParseRequest(frame);
  if (!parsed.ok()) {
    return {absl::InvalidArgumentError(absl::StrCat("malformed request header: ",
                                                    parsed.status().message())),
            std::nullopt};
  }
  const keel::kafka::RequestHeader& header = parsed->header;
  if (spdlog::should_log(spdlog::level::trace)) {
    // --log_level=trace: every request frame, for capturing real clients' bytes as test data.
    spdlog::trace("kafka request from {} api={} v{} correlation={} frame={}", peer,
                   header.api_key, header.api_version, header.correlation_id,
                   absl::BytesToHexString(absl::string_view(frame.data(), frame.size())));
  }
  const int16_t api_key = header.api_key;
  const int16_t api_version = header.api_version;
  auto it = handlers_.find(api_key);
  if (it == handlers_.end()) {
    return {absl::InvalidArgumentError(absl::StrCat("unknown api key ", api_key)), std::nullopt};
  }
  Handler& handler = *it->second;
  const bool in_range =
      api_version >= handler.min_version() && api_version <= handler.max_version();
  if (!in_range && api_key != kApiVersionsKey) {
    return {absl::InvalidArgumentError(absl::StrCat(std::string(handler.name()), " version ", api_version,
                                                    " is not supported (",
                                                    handler.min_version(), "-",
                                                    handler.max_version(), ")")),
            std::nullopt};
  }
  RequestContext context;
  context.api_version = api_version;
  context.correlation_id = header.correlation_id;
  context.client_id = header.client_id.value_or("");
  context.peer = peer;
  context.closing = closing;
  context.response_prefix =
      keel::kafka::StartResponseFrame(header.key(), api_version, header.correlation_id);
  HandlerResult result = handler.Handle(context, parsed->body);
  if (!result.status.ok()) {
    return {absl::InvalidArgumentError(absl::StrCat(std::string(handler.name()), " v", api_version, ": ",
                                                    result.status.message())),
            std::nullopt};
  }
  Outcome outcome;
  size_t sent = 0;
  if (result.frame.has_value()) {
    keel::kafka::FinishFrame(*result.frame);
    sent = result.frame->size();
    outcome.response = std::move(result.frame);
  }
  if (metrics_ != nullptr) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_->RecordRequest(handler.name(), result.error_code, seconds, frame.size() + keel::kafka::kFrameSizeBytes, sent);
  }
  return outcome;
}

}  // namespace keel::broker::kafka
