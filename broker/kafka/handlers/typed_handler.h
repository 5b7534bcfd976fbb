// TypedHandler: the decode / serve / encode frame every handler shares. A handler derives
// from TypedHandler<XRequest, XResponse> (structs of the kafka/ codec), names its versions
// and implements Serve.
#ifndef KEEL_BROKER_KAFKA_HANDLERS_TYPED_HANDLER_H_
#define KEEL_BROKER_KAFKA_HANDLERS_TYPED_HANDLER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "broker/kafka/handler.h"
#include "kafka/api_keys.h"
#include "kafka/message.h"

namespace keel::broker::kafka {

// What Serve decided beyond the response's content.
struct Served {
  bool respond = true;     // false: no response at all (Produce with acks=0)
  int16_t error_code = 0;  // the first error the response carries (metrics)
};

// Keeps the first non-zero error code seen.
inline void NoteError(int16_t code, Served* served) {
  if (served->error_code == 0) served->error_code = code;
}

template <class Request, class Response>
class TypedHandler : public Handler {
 public:
  TypedHandler(int16_t min_version, int16_t max_version)
      : name_(keel::kafka::ApiName(Request::kApiKey)),
        min_version_(min_version),
        max_version_(max_version) {}

  int16_t api_key() const override { return static_cast<int16_t>(Request::kApiKey); }
  std::string_view name() const override { return name_; }
  int16_t min_version() const override { return min_version_; }
  int16_t max_version() const override { return max_version_; }

  HandlerResult Handle(const RequestContext& context, std::string_view body) final {
    auto request = keel::kafka::Decode<Request>(body, context.api_version);
    if (!request.ok()) return HandlerResult::Malformed(request.status());
    Response response;
    const Served served = Serve(context, *request, &response);
    if (!served.respond) return {absl::OkStatus(), std::nullopt, served.error_code};
    std::string frame = context.response_prefix;
    frame.reserve(frame.size() + SizeHint(response));
    absl::Status encoded = keel::kafka::EncodeTo(response, context.api_version, frame);
    if (!encoded.ok()) {
      return HandlerResult::Malformed(absl::InternalError(
          absl::StrCat("cannot encode the response: ", encoded.message())));
    }
    return {absl::OkStatus(), std::move(frame), served.error_code};
  }

 protected:
  // Fills `response` for `request` (decoded at context.api_version).
  virtual Served Serve(const RequestContext& context, Request& request, Response* response) = 0;
  // Bytes the encoded body will roughly take (large responses avoid regrowing the frame).
  virtual size_t SizeHint(const Response&) const { return 256; }

 private:
  const std::string name_;
  const int16_t min_version_;
  const int16_t max_version_;
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_HANDLERS_TYPED_HANDLER_H_
