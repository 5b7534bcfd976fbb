#include "broker/kafka/handlers/common.h"

#include <chrono>
#include <cstring>
#include <thread>

namespace keel::broker::kafka {

int16_t ForwardErrorCode(const grpc::Status& status) {
  const std::string& message = status.error_message();
  const size_t colon = message.find(':');
  keel::ErrorCode code;
  if (colon != std::string::npos && keel::ErrorCode_Parse(message.substr(0, colon), &code) &&
      code != keel::NONE) {
    return KafkaCode(code);
  }
  return KafkaCode(keel::kafka::ErrorCode::kRequestTimedOut);
}

const metadata::Endpoint* KafkaEndpoint(const metadata::BrokerInfo& broker) {
  for (const metadata::Endpoint& e : broker.endpoints) {
    if (e.name() == kKafkaEndpointName) return &e;
  }
  return nullptr;
}

keel::kafka::Uuid ToUuid(const std::string& raw_id) {
  keel::kafka::Uuid id;
  if (raw_id.size() == id.bytes.size()) std::memcpy(id.bytes.data(), raw_id.data(), raw_id.size());
  return id;
}

bool WaitForImage(const BrokerContext& context,
                  const std::function<bool(const metadata::MetadataImage&)>& done,
                  int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    bool ok = false;
    context.read_image([&](const metadata::MetadataImage& image) { ok = done(image); });
    if (ok) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace keel::broker::kafka
