// ApiVersions v0-3: the versions of every API in the dispatch table. A newer version than
// ours gets UNSUPPORTED_VERSION in the v0 layout (with our list), and clients retry lower.
#include "broker/kafka/handlers/handlers.h"
#include "broker/kafka/handlers/typed_handler.h"
#include "kafka/error_codes.h"

namespace keel::broker::kafka {
namespace {

using keel::kafka::ApiVersionsRequest;
using keel::kafka::ApiVersionsResponse;

class ApiVersionsHandler final : public Handler {
 public:
  explicit ApiVersionsHandler(AdvertisedApis advertised) : advertised_(std::move(advertised)) {}

  int16_t api_key() const override { return Key(keel::kafka::ApiKey::kApiVersions); }
  std::string_view name() const override { return "ApiVersions"; }
  int16_t min_version() const override { return 0; }
  int16_t max_version() const override { return 3; }

  HandlerResult Handle(const RequestContext& context, std::string_view body) override {
    ApiVersionsResponse response;
    response.api_keys = advertised_();
    int16_t version = context.api_version;
    if (version < min_version() || version > max_version()) {
      // The body of a version we do not know cannot be read; answer in v0's layout.
      response.error_code = keel::kafka::Code(keel::kafka::ErrorCode::kUnsupportedVersion);
      version = 0;
    } else {
      auto request = keel::kafka::Decode<ApiVersionsRequest>(body, version);
      if (!request.ok()) return HandlerResult::Malformed(request.status());
    }
    std::string frame = context.response_prefix;  // header v0 for every version
    absl::Status encoded = keel::kafka::EncodeTo(response, version, frame);
    if (!encoded.ok()) return HandlerResult::Malformed(encoded);
    return {absl::OkStatus(), std::move(frame), response.error_code};
  }

 private:
  static int16_t Key(keel::kafka::ApiKey key) { return static_cast<int16_t>(key); }
  const AdvertisedApis advertised_;
};

}  // namespace

std::unique_ptr<Handler> NewApiVersionsHandler(AdvertisedApis advertised) {
  return std::make_unique<ApiVersionsHandler>(std::move(advertised));
}

}  // namespace keel::broker::kafka
