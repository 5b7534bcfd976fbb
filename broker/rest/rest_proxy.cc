#include "broker/rest/rest_proxy.h"

#include <exception>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "broker/rest/consumer_instances.h"
#include "broker/rest/handlers.h"
#include "broker/rest/rest_router.h"
#include "common/logging.h"

namespace keel::rest {

class RestProxy::Impl {
 public:
  RestContext ctx;
  std::unique_ptr<RestMetrics> metrics;
  std::unique_ptr<ConsumerInstances> consumers;
  httplib::Server server;
  std::unique_ptr<Router> router;
  std::thread listener;
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;  // guarded by stop_mu

  void Stop() {
    std::lock_guard<std::mutex> lock(stop_mu);
    if (stopped) return;
    stopped = true;
    server.stop();
    if (listener.joinable()) listener.join();
    if (consumers != nullptr) consumers->CloseAll();
    if (ctx.producer != nullptr) {
      ctx.producer->Close(std::chrono::milliseconds(ctx.options.produce_timeout_ms)).IgnoreError();
    }
  }
};

namespace {

// The Confluent error for a status httplib set itself (no route, body too large, ...).
RestError ServerError(int status, int64_t max_request_bytes) {
  switch (status) {
    case 404:
      return RestError{404, 404, "HTTP 404 Not Found"};
    case 405:
      return RestError{405, 405, "HTTP 405 Method Not Allowed"};
    case 413:
      return RestError{413, 413, absl::StrCat("Request body larger than ", max_request_bytes,
                                              " bytes (--rest_max_request_bytes)")};
    case 414:
      return RestError{414, 414, "HTTP 414 URI Too Long"};
    case 400:
      return RestError{400, 400, "HTTP 400 Bad Request"};
    default:
      return RestError{status, status, absl::StrCat("HTTP ", status)};
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RestProxy>> RestProxy::Start(
    RestProxyOptions options, std::shared_ptr<observability::MetricsRegistry> registry) {
  const size_t colon = options.listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(options.listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError("rest listen address must be host:port, not '" +
                                      options.listen + "'");
  }
  const std::string host = options.listen.substr(0, colon);
  if (options.worker_threads < 1 || options.max_request_bytes < 1 ||
      options.consumer_instance_timeout_ms < 1 || options.produce_timeout_ms < 2) {
    return absl::InvalidArgumentError(
        "need rest worker threads, max request bytes, consumer instance timeout >= 1 and "
        "produce timeout >= 2 ms");
  }
  if (!options.clock) options.clock = [] { return std::chrono::steady_clock::now(); };

  auto impl = std::make_unique<Impl>();
  RestContext& ctx = impl->ctx;
  ctx.options = options;
  client::AdminClientOptions admin_options;
  admin_options.controllers = options.controllers;
  admin_options.default_timeout_ms = options.admin_timeout_ms;
  admin_options.request_timeout_ms = std::min<int64_t>(5000, options.admin_timeout_ms);
  ctx.admin = std::make_shared<client::AdminClient>(admin_options);
  ctx.metadata = std::make_shared<client::MetadataCache>(ctx.admin, options.brokers);
  const int64_t request_timeout_ms = std::max<int64_t>(1, options.produce_timeout_ms / 2);
  auto producer = client::Producer::Create(
      {{"linger.ms", "1"},
       {"delivery.timeout.ms", std::to_string(options.produce_timeout_ms)},
       {"request.timeout.ms", std::to_string(request_timeout_ms)},
       {"max.block.ms", std::to_string(options.admin_timeout_ms)}},
      ctx.metadata);
  if (!producer.ok()) return producer.status();
  ctx.producer = std::move(*producer);
  client::GroupClientOptions group_options;
  group_options.bootstrap_brokers = options.brokers;
  ctx.groups = std::make_shared<client::GroupClient>(group_options, ctx.metadata);
  impl->consumers = std::make_unique<ConsumerInstances>(&ctx);
  ctx.consumers = impl->consumers.get();
  impl->metrics = std::make_unique<RestMetrics>(std::move(registry));

  httplib::Server& server = impl->server;
  const int threads = options.worker_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and
  // the client's delayed ACK hold every answer ~40 ms.
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(options.keep_alive_max_count);
  server.set_keep_alive_timeout(options.keep_alive_timeout_s);
  server.set_payload_max_length(static_cast<size_t>(options.max_request_bytes));
  RestMetrics* metrics = impl->metrics.get();
  const int64_t max_request_bytes = options.max_request_bytes;
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [metrics, max_request_bytes](const httplib::Request&, httplib::Response& res) {
    // A handler's own error already has its Confluent body (and was counted by the router).
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ReplyError(res, ServerError(res.status, max_request_bytes));
    metrics->Record("other", res.status, 0);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr e) {
        std::string what = "unknown exception";
        try {
          if (e) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          what = ex.what();
        } catch (...) {
        }
        KEEL_LOG_ERROR("rest: {} {} failed: {}", req.method, req.path, what);
        ReplyError(res, RestError{500, 500, "Internal server error: " + what});
      });

  impl->router = std::make_unique<Router>(&server, metrics);
  AddProduceV2Routes(*impl->router, ctx);
  AddMetadataV2Routes(*impl->router, ctx);
  AddConsumerV2Routes(*impl->router, ctx);
  AddV3Routes(*impl->router, ctx);

  if (port == 0) {
    impl->port = server.bind_to_any_port(host);
    if (impl->port <= 0) return absl::UnavailableError("rest: cannot bind " + options.listen);
  } else {
    if (!server.bind_to_port(host, port)) {
      return absl::UnavailableError("rest: cannot bind " + options.listen);
    }
    impl->port = port;
  }
  Impl* raw = impl.get();
  impl->listener = std::thread([raw] { raw->server.listen_after_bind(); });
  impl->consumers->StartReaper();
  KEEL_LOG_INFO("rest proxy listening on {}:{} ({} workers, bodies up to {} bytes)", host,
                impl->port, threads, options.max_request_bytes);
  return std::unique_ptr<RestProxy>(new RestProxy(std::move(impl)));
}

RestProxy::RestProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestProxy::~RestProxy() { Stop(); }
int RestProxy::port() const { return impl_->port; }
void RestProxy::Stop() { impl_->Stop(); }

}  // namespace keel::rest
