// MetricsRegistry: one process's metrics, as Prometheus families, plus scrape hooks.
//
// Every Keel metric is created through this class so the naming rules are enforced in one
// place (docs/observability.md): `keel_<area>_<name>_<unit>`, lower snake case, counters end
// in `_total` and nothing else does, base units (seconds, bytes). A name that breaks a rule,
// or a family registered twice with a different type or help, is a programming error and
// aborts at start-up rather than producing a scrape that Prometheus rejects.
//
// Hot paths hold the returned `prometheus::Counter&` / `Gauge&` / `Histogram&` (stable for the
// registry's lifetime) and update them directly: counters and gauges are atomics, a histogram
// observation takes prometheus-cpp's per-histogram mutex. Looking a series up by labels
// (`family.Add(labels)`) takes the family's mutex and hashes the labels; do it once per
// series and keep the reference, not once per event.
//
// Scrape hooks: some values are cheaper to compute when someone asks than to keep current
// (a count over the whole metadata image, one gauge per partition). A hook runs at the start
// of every scrape, before the families are read, and typically sets gauges.
//
// Thread safety: all methods are thread-safe. Hooks run on the scraping thread, one scrape
// at a time, and must not call AddScrapeHook or destroy a ScrapeHook themselves.
#ifndef KEEL_OBSERVABILITY_METRICS_REGISTRY_H_
#define KEEL_OBSERVABILITY_METRICS_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace keel::observability {

enum class MetricKind { kCounter, kGauge, kHistogram };

// OK if `name` follows the Keel rules for a metric of `kind`; InvalidArgument says which rule
// it breaks.
absl::Status CheckMetricName(absl::string_view name, MetricKind kind);

// Histogram boundaries for durations in seconds: 100 us to 10 s, roughly x2.5 apart (fine
// enough for p99 over loopback RPCs and for fsyncs of a few milliseconds).
const prometheus::Histogram::BucketBoundaries& DurationBucketsSeconds();
// Histogram boundaries for sizes in bytes: 64 B to 64 MiB, x4 apart.
const prometheus::Histogram::BucketBoundaries& SizeBucketsBytes();

class MetricsRegistry;

// Keeps a scrape hook registered; destroying it removes the hook (waiting for a scrape that
// is running it to finish), so a hook may safely capture the object that owns its ScrapeHook.
class ScrapeHook {
 public:
  ~ScrapeHook();
  ScrapeHook(const ScrapeHook&) = delete;
  ScrapeHook& operator=(const ScrapeHook&) = delete;

 private:
  friend class MetricsRegistry;
  ScrapeHook(std::shared_ptr<MetricsRegistry> registry, uint64_t id)
      : registry_(std::move(registry)), id_(id) {}
  std::shared_ptr<MetricsRegistry> registry_;
  uint64_t id_;
};

class MetricsRegistry : public prometheus::Collectable,
                        public std::enable_shared_from_this<MetricsRegistry> {
 public:
  // Registries are shared: the process, its services and the metrics server hold them.
  static std::shared_ptr<MetricsRegistry> Create();

  // The family named `name`, created on first use; later calls with the same name, kind and
  // help return the same family. Aborts on a bad name (see CheckMetricName).
  prometheus::Family<prometheus::Counter>& Counter(const std::string& name,
                                                   const std::string& help);
  prometheus::Family<prometheus::Gauge>& Gauge(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& Histogram(const std::string& name,
                                                       const std::string& help);

  // Runs `refresh` at the start of every scrape until the returned handle is destroyed. The
  // handle must not outlive the registry's last other owner by design: it keeps it alive.
  std::unique_ptr<ScrapeHook> AddScrapeHook(std::function<void()> refresh);

  // Every family, after running the scrape hooks (prometheus::Collectable).
  std::vector<prometheus::MetricFamily> Collect() const override;

  // The text exposition format (what GET /metrics returns); for tests and debugging.
  std::string ScrapeText() const;

 private:
  friend class ScrapeHook;
  MetricsRegistry() = default;
  void RemoveScrapeHook(uint64_t id);

  prometheus::Registry registry_;
  mutable std::mutex hooks_mu_;  // held while hooks run, so removal waits for a running scrape
  std::map<uint64_t, std::function<void()>> hooks_;  // guarded by hooks_mu_
  uint64_t next_hook_id_ = 1;                        // guarded by hooks_mu_
};

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_METRICS_REGISTRY_H_
