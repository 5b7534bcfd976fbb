// Metrics of the REST proxy, per endpoint (the route template, e.g. "POST /topics/{topic}"):
//   keel_rest_requests_total{endpoint, code}        requests answered, by HTTP status
//   keel_rest_request_duration_seconds{endpoint}    from routing to the handler's return
// Requests httplib answers itself (no route, body too large, unreadable request) count under
// endpoint "other". Thread-safe; a series is looked up once and its reference kept.
#ifndef KEEL_BROKER_REST_REST_METRICS_H_
#define KEEL_BROKER_REST_REST_METRICS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "observability/metrics_registry.h"

namespace keel::rest {

class RestMetrics {
 public:
  explicit RestMetrics(std::shared_ptr<observability::MetricsRegistry> registry);

  void Record(const std::string& endpoint, int http_status, double seconds);

 private:
  const std::shared_ptr<observability::MetricsRegistry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  std::mutex mu_;
  std::map<std::pair<std::string, int>, prometheus::Counter*> counters_;  // guarded by mu_
  std::map<std::string, prometheus::Histogram*> histograms_;              // guarded by mu_
};

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_REST_METRICS_H_
