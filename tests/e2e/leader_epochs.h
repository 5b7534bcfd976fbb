// Election safety as seen from outside: at most one controller leader per epoch (Raft term).
// Observations come from polling DescribeQuorum on every controller during the run and from
// the controllers' own log lines ("node N: elected leader for epoch E").
//
// Thread-safe.
#ifndef KEEL_TESTS_E2E_LEADER_EPOCHS_H_
#define KEEL_TESTS_E2E_LEADER_EPOCHS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace keel::e2e {

class LeaderEpochs {
 public:
  // `source` names the observer, e.g. "DescribeQuorum@c2" or "log of c1".
  void Observe(int64_t epoch, int leader, const std::string& source);
  // Reads a controller log and observes every election it reports. Returns how many.
  int ObserveLog(const std::string& path, const std::string& source);

  // One line per epoch that had more than one leader; empty when election safety held.
  std::vector<std::string> Violations() const;
  int64_t epochs() const;
  int64_t observations() const;

 private:
  mutable std::mutex mu_;
  std::map<int64_t, std::map<int, std::set<std::string>>> leaders_;  // epoch -> leader -> sources
  int64_t observations_ = 0;
};

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_LEADER_EPOCHS_H_
