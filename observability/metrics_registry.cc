#include "observability/metrics_registry.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>

#include <prometheus/check_names.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace keel::observability {
namespace {

// Units that have a base unit instead (Prometheus: seconds and bytes).
constexpr absl::string_view kNonBaseUnits[] = {
    "ms",          "us",      "ns",    "millis", "milliseconds", "microseconds",
    "nanoseconds", "minutes", "hours", "days",   "kb",           "mb",
    "gb",          "kib",     "mib",   "gib",    "kilobytes",    "megabytes"};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "keel metrics: %s\n", message.c_str());
  std::abort();
}

template <typename Builder>
auto& Register(Builder builder, const std::string& name, const std::string& help, MetricKind kind,
               prometheus::Registry& registry) {
  if (absl::Status s = CheckMetricName(name, kind); !s.ok()) Die(s.ToString());
  if (help.empty()) Die("metric " + name + " needs a help text");
  try {
    return builder.Name(name).Help(help).Register(registry);
  } catch (const std::exception& e) {
    // prometheus-cpp throws when a name is reused with another type or constant labels.
    Die("cannot register metric " + name + ": " + e.what());
  }
}

}  // namespace

absl::Status CheckMetricName(absl::string_view name, MetricKind kind) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("metric name \"", name, "\": ", why));
  };
  if (!absl::StartsWith(name, "keel_")) return invalid("must start with keel_");
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return invalid("only lower-case letters, digits and _ are allowed");
    }
  }
  if (absl::StrContains(name, "__") || absl::EndsWith(name, "_")) {
    return invalid("empty name part");
  }
  const bool total = absl::EndsWith(name, "_total");
  if (kind == MetricKind::kCounter && !total) return invalid("a counter must end in _total");
  if (kind != MetricKind::kCounter && total) return invalid("only counters end in _total");
  for (absl::string_view reserved : {"_count", "_sum", "_bucket"}) {
    if (absl::EndsWith(name, reserved)) return invalid("suffix reserved for histograms");
  }
  for (absl::string_view part : absl::StrSplit(name, '_')) {
    for (absl::string_view unit : kNonBaseUnits) {
      if (part == unit) return invalid("use base units (seconds, bytes)");
    }
  }
  if (!prometheus::CheckMetricName(std::string(name))) return invalid("rejected by prometheus");
  return absl::OkStatus();
}

const prometheus::Histogram::BucketBoundaries& DurationBucketsSeconds() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& SizeBucketsBytes() {
  static const auto* buckets = [] {
    auto* b = new prometheus::Histogram::BucketBoundaries;
    for (double size = 64; size <= 64.0 * 1024 * 1024; size *= 4) b->push_back(size);
    return b;
  }();
  return *buckets;
}

std::shared_ptr<MetricsRegistry> MetricsRegistry::Create() {
  return std::shared_ptr<MetricsRegistry>(new MetricsRegistry());
}

prometheus::Family<prometheus::Counter>& MetricsRegistry::Counter(const std::string& name,
                                                                  const std::string& help) {
  return Register(prometheus::BuildCounter(), name, help, MetricKind::kCounter, registry_);
}

prometheus::Family<prometheus::Gauge>& MetricsRegistry::Gauge(const std::string& name,
                                                              const std::string& help) {
  return Register(prometheus::BuildGauge(), name, help, MetricKind::kGauge, registry_);
}

prometheus::Family<prometheus::Histogram>& MetricsRegistry::Histogram(const std::string& name,
                                                                      const std::string& help) {
  return Register(prometheus::BuildHistogram(), name, help, MetricKind::kHistogram, registry_);
}

std::unique_ptr<ScrapeHook> MetricsRegistry::AddScrapeHook(std::function<void()> refresh) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(refresh));
  return std::unique_ptr<ScrapeHook>(new ScrapeHook(shared_from_this(), id));
}

void MetricsRegistry::RemoveScrapeHook(uint64_t id) {
  std::lock_guard<std::mutex> lock(hooks_mu_);
  hooks_.erase(id);
}

ScrapeHook::~ScrapeHook() { registry_->RemoveScrapeHook(id_); }

std::vector<prometheus::MetricFamily> MetricsRegistry::Collect() const {
  {
    std::lock_guard<std::mutex> lock(hooks_mu_);
    for (const auto& [id, refresh] : hooks_) refresh();
  }
  return registry_.Collect();
}

std::string MetricsRegistry::ScrapeText() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, Collect());
  return out.str();
}

}  // namespace keel::observability
