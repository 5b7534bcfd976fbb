#include "tests/e2e/record_checker.h"

#include <set>

namespace keel::e2e {

std::string FetchedRecord(int64_t offset, const std::string& value) {
  return std::to_string(offset) + "=" + value;
}

RecordCheckResult CheckRecords(const std::vector<Operation>& history,
                               const std::map<std::string, std::vector<std::string>>& logs) {
  RecordCheckResult result;
  auto error = [&](std::string e) {
    if (result.errors.size() < 50) result.errors.push_back(std::move(e));
  };
  // Where each value sits in the final log: partition key -> value -> offsets.
  std::map<std::string, std::map<std::string, std::vector<int64_t>>> where;
  for (const auto& [key, values] : logs) {
    for (size_t i = 0; i < values.size(); ++i) {
      where[key][values[i]].push_back(static_cast<int64_t>(i));
    }
  }
  std::map<std::string, std::set<std::string>> sent;
  // Last acknowledged offset per (client, partition), for the order check.
  std::map<std::pair<int, std::string>, std::pair<int64_t, std::string>> last_acked;
  for (const Operation& op : history) {
    if (op.type == OpType::kProduce) {
      for (const auto& v : op.values) sent[op.key].insert(v);
      const auto& positions = where[op.key];
      for (const auto& v : op.values) {
        auto it = positions.find(v);
        const size_t count = it == positions.end() ? 0 : it->second.size();
        if (count > 1) {
          error("value " + v + " of " + op.key + " appears " + std::to_string(count) + " times");
        }
        switch (op.outcome) {
          case Outcome::kOk: {
            ++result.acked_values;
            if (count == 0) {
              error("acknowledged value " + v + " (op #" + std::to_string(op.id) + ") of " +
                    op.key + " is missing");
              break;
            }
            const int64_t offset = it->second.front();
            auto& last = last_acked[{op.client, op.key}];
            if (!last.second.empty() && offset <= last.first) {
              error("acknowledged value " + v + " of " + op.key + " at offset " +
                    std::to_string(offset) + " is not after " + last.second + " (offset " +
                    std::to_string(last.first) + "), acknowledged to the same producer before it");
            }
            last = {offset, v};
            break;
          }
          case Outcome::kFail:
            if (count > 0) {
              error("value " + v + " of " + op.key + " is present though its produce (op #" +
                    std::to_string(op.id) + ") was refused: " + op.error);
            }
            break;
          default:
            ++result.unknown_values;
            if (count > 0) ++result.unknown_values_present;
        }
      }
    }
  }
  for (const auto& [key, values] : logs) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (!sent[key].count(values[i])) {
        error("offset " + std::to_string(i) + " of " + key + " holds " + values[i] +
              ", which no producer sent");
      }
    }
  }
  for (const Operation& op : history) {
    if (op.type != OpType::kFetch || op.outcome != Outcome::kOk) continue;
    auto log = logs.find(op.key);
    for (const std::string& record : op.values) {
      ++result.fetched_records;
      const size_t eq = record.find('=');
      const int64_t offset = std::stoll(record.substr(0, eq));
      const std::string value = record.substr(eq + 1);
      if (log == logs.end() || offset < 0 ||
          offset >= static_cast<int64_t>(log->second.size())) {
        error("a consumer read " + value + " at offset " + std::to_string(offset) + " of " +
              op.key + " (op #" + std::to_string(op.id) +
              "), beyond the final high watermark: it saw uncommitted data");
      } else if (log->second[static_cast<size_t>(offset)] != value) {
        error("a consumer read " + value + " at offset " + std::to_string(offset) + " of " +
              op.key + " (op #" + std::to_string(op.id) + "), but the final log holds " +
              log->second[static_cast<size_t>(offset)] + " there");
      }
    }
  }
  return result;
}

}  // namespace keel::e2e
