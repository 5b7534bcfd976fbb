#include "broker/rest/rest_metrics.h"

namespace keel::rest {

RestMetrics::RestMetrics(std::shared_ptr<observability::MetricsRegistry> registry)
    : registry_(std::move(registry)),
      requests_(registry_->Counter("keel_rest_requests_total",
                                   "REST proxy requests answered, by endpoint and HTTP status.")),
      duration_(registry_->Histogram("keel_rest_request_duration_seconds",
                                     "REST proxy request latency by endpoint.")) {}

void RestMetrics::Record(const std::string& endpoint, int http_status, double seconds) {
  prometheus::Counter* counter;
  prometheus::Histogram* histogram;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& c = counters_[{endpoint, http_status}];
    if (c == nullptr) {
      c = &requests_.Add({{"endpoint", endpoint}, {"code", std::to_string(http_status)}});
    }
    counter = c;
    auto& h = histograms_[endpoint];
    if (h == nullptr) {
      h = &duration_.Add({{"endpoint", endpoint}}, observability::DurationBucketsSeconds());
    }
    histogram = h;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

}  // namespace keel::rest
