// Reading values out of a Prometheus text exposition (a /metrics scrape) in tests.
#ifndef KEEL_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_
#define KEEL_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_

#include <string>
#include <vector>

namespace keel::testing {

// Sum of the values of every series of `name` whose labels contain each of `labels`
// (substrings like `code="OK"`); -1 when there is none.
double Sum(const std::string& text, const std::string& name,
           const std::vector<std::string>& labels = {});

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_
