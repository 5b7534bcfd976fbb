#include "broker/rest/rest_router.h"

#include <charconv>
#include <limits>
#include <utility>

namespace keel::rest {

Router::Handler Router::Timed(const std::string& endpoint, Handler handler) {
  return [this, endpoint, handler = std::move(handler)](const httplib::Request& req,
                                                        httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    handler(req, res);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    metrics_->Record(endpoint, res.status, elapsed.count());
  };
}

void Router::Get(const std::string& pattern, const std::string& endpoint, Handler handler) {
  server_->Get(pattern, Timed(endpoint, std::move(handler)));
}

void Router::Post(const std::string& pattern, const std::string& endpoint, Handler handler) {
  server_->Post(pattern, Timed(endpoint, std::move(handler)));
}

void Router::Delete(const std::string& pattern, const std::string& endpoint, Handler handler) {
  server_->Delete(pattern, Timed(endpoint, std::move(handler)));
}

void Router::PostStream(const std::string& pattern, const std::string& endpoint,
                        StreamHandler handler) {
  server_->Post(pattern, [this, endpoint, handler = std::move(handler)](
                             const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    const auto start = std::chrono::steady_clock::now();
    handler(req, res, reader);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    metrics_->Record(endpoint, res.status, elapsed.count());
  });
}

void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body,
               const char* content_type) {
  res.status = status;
  res.set_content(body.dump(), content_type);
}

void ReplyNoContent(httplib::Response& res) {
  res.status = 204;
  res.body.clear();
}

void ReplyError(httplib::Response& res, const RestError& error, const char* content_type) {
  if (error.retriable) res.set_header("Retry-After", "1");
  ReplyJson(res, error.http_status,
            {{"error_code", error.error_code}, {"message", error.message}}, content_type);
}

std::optional<nlohmann::json> ParseObjectBody(const httplib::Request& req, httplib::Response& res,
                                              bool empty_ok, const char* content_type) {
  if (req.body.empty() && empty_ok) return nlohmann::json::object();
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    ReplyError(res, InvalidPayload("the request body is not valid JSON"), content_type);
    return std::nullopt;
  }
  if (!body.is_object()) {
    ReplyError(res, InvalidPayload("the request body must be a JSON object"), content_type);
    return std::nullopt;
  }
  return body;
}

std::optional<int32_t> ParsePartition(const std::string& text) {
  int32_t value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

std::optional<int64_t> JsonInt(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  return std::nullopt;
}

}  // namespace keel::rest
