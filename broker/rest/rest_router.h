// The pieces every group of REST endpoints shares: the context (the clients the handlers
// use), the router (registers a route with its endpoint name, times it and counts its
// status), and the reply helpers (JSON bodies, Confluent errors, body parsing).
#ifndef KEEL_BROKER_REST_REST_ROUTER_H_
#define KEEL_BROKER_REST_REST_ROUTER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "broker/rest/embedded_format.h"
#include "broker/rest/rest_errors.h"
#include "broker/rest/rest_metrics.h"
#include "broker/rest/rest_proxy.h"
#include "client/admin_client.h"
#include "client/group_client.h"
#include "client/metadata_cache.h"
#include "client/producer.h"

namespace keel::rest {

class ConsumerInstances;

struct RestContext {
  RestProxyOptions options;
  std::shared_ptr<client::AdminClient> admin;
  std::shared_ptr<client::MetadataCache> metadata;
  std::shared_ptr<client::Producer> producer;
  std::shared_ptr<client::GroupClient> groups;
  ConsumerInstances* consumers = nullptr;

  std::chrono::milliseconds admin_timeout() const {
    return std::chrono::milliseconds(options.admin_timeout_ms);
  }
};

class Router {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
  using StreamHandler = std::function<void(const httplib::Request&, httplib::Response&,
                                           const httplib::ContentReader&)>;

  Router(httplib::Server* server, RestMetrics* metrics) : server_(server), metrics_(metrics) {}

  // `pattern` is a regular expression over the path; `endpoint` names the route in metrics
  // ("GET /topics/{topic}").
  void Get(const std::string& pattern, const std::string& endpoint, Handler handler);
  void Post(const std::string& pattern, const std::string& endpoint, Handler handler);
  void Delete(const std::string& pattern, const std::string& endpoint, Handler handler);
  // The handler reads the body itself, as it arrives (chunked request streams).
  void PostStream(const std::string& pattern, const std::string& endpoint, StreamHandler handler);

 private:
  Handler Timed(const std::string& endpoint, Handler handler);

  httplib::Server* server_;
  RestMetrics* metrics_;
};

// A path segment captured by the route's regex (percent-decoding is httplib's).
inline std::string PathParam(const httplib::Request& req, size_t i) {
  return i < req.matches.size() ? std::string(req.matches[i]) : std::string();
}

void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body,
               const char* content_type = kV2JsonType);
void ReplyNoContent(httplib::Response& res);
void ReplyError(httplib::Response& res, const RestError& error,
                const char* content_type = kV2JsonType);

// The body as a JSON object; nullopt after replying 422/42201 when it is not one. An empty
// body is an empty object when `empty_ok`.
std::optional<nlohmann::json> ParseObjectBody(const httplib::Request& req, httplib::Response& res,
                                              bool empty_ok = false,
                                              const char* content_type = kV2JsonType);

// Non-negative integers in paths and fields: nullopt when `text` / `value` is not one.
std::optional<int32_t> ParsePartition(const std::string& text);
std::optional<int64_t> JsonInt(const nlohmann::json& value);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_REST_ROUTER_H_
