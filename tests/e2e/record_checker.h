// Checks the produce and fetch operations of a history against the final partition logs:
//   - every acknowledged (acks=all) value is present exactly once;
//   - one producer's acknowledged values appear in the order it had them acknowledged;
//   - no value appears twice, none appears that was never sent, and none of a produce the
//     leader refused before appending (outcome kFail) appears;
//   - every record a consumer fetched is in the final log at the offset it was read from
//     (consumers only see committed records, and committed records never change).
#ifndef KEEL_TESTS_E2E_RECORD_CHECKER_H_
#define KEEL_TESTS_E2E_RECORD_CHECKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/history.h"

namespace keel::e2e {

// Fetch operations store each record as "<offset>=<value>".
std::string FetchedRecord(int64_t offset, const std::string& value);

struct RecordCheckResult {
  std::vector<std::string> errors;  // empty: all checks pass
  int64_t acked_values = 0;
  int64_t unknown_values = 0;
  int64_t unknown_values_present = 0;  // unknown produces that did take effect
  int64_t fetched_records = 0;
};

// `logs` maps a partition key ("<topic>-<p>", as in Operation::key) to its values in offset
// order, from the log start (offset 0) to the high watermark.
RecordCheckResult CheckRecords(const std::vector<Operation>& history,
                               const std::map<std::string, std::vector<std::string>>& logs);

}  // namespace keel::e2e

#endif  // KEEL_TESTS_E2E_RECORD_CHECKER_H_
