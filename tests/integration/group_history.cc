#include "tests/integration/group_history.h"

#include <time.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <tuple>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace keel::testing {
namespace {

constexpr absl::string_view kPrefix = "@ev ";
constexpr size_t kViolationsShown = 20;

const char* KindName(MemberEvent::Kind kind) {
  switch (kind) {
    case MemberEvent::Kind::kAssigned: return "assigned";
    case MemberEvent::Kind::kStart: return "start";
    case MemberEvent::Kind::kRecord: return "record";
    case MemberEvent::Kind::kCommit: return "commit";
    case MemberEvent::Kind::kCommitFailed: return "commit-failed";
    case MemberEvent::Kind::kError: return "error";
    case MemberEvent::Kind::kClosed: return "closed";
  }
  return "?";
}

std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

// "topic partition offset" starting at fields[i].
bool ParsePosition(const std::vector<absl::string_view>& fields, size_t i, MemberEvent* e) {
  if (fields.size() < i + 3) return false;
  e->topic = std::string(fields[i]);
  return absl::SimpleAtoi(fields[i + 1], &e->partition) &&
         absl::SimpleAtoi(fields[i + 2], &e->offset) && !e->topic.empty();
}

std::string Name(const TopicPartitionOffset& at) {
  return absl::StrCat(at.topic, "-", at.partition, "@", at.offset);
}

// Appends a violation for every pair of one partition's observations that goes backwards
// (only the largest earlier offset is reported per later observation).
void CheckMonotonic(const std::vector<const OffsetObservation*>& observations,
                    std::vector<std::string>* violations) {
  std::vector<const OffsetObservation*> by_begin = observations;
  std::vector<const OffsetObservation*> by_end = observations;
  std::sort(by_begin.begin(), by_begin.end(),
            [](auto* a, auto* b) { return a->begin_ms < b->begin_ms; });
  std::sort(by_end.begin(), by_end.end(), [](auto* a, auto* b) { return a->end_ms < b->end_ms; });
  const OffsetObservation* highest = nullptr;  // the largest offset among those over
  size_t next_over = 0;
  for (const OffsetObservation* b : by_begin) {
    while (next_over < by_end.size() && by_end[next_over]->end_ms < b->begin_ms) {
      const OffsetObservation* a = by_end[next_over++];
      if (highest == nullptr || a->at.offset > highest->at.offset) highest = a;
    }
    if (highest != nullptr && b->at.offset < highest->at.offset) {
      violations->push_back(absl::StrCat(
          "committed offset went backwards on ", b->at.topic, "-", b->at.partition, ": ",
          highest->source, " saw ", highest->at.offset, " during [", highest->begin_ms, ", ",
          highest->end_ms, "] ms, then ", b->source, " saw ", b->at.offset, " during [",
          b->begin_ms, ", ", b->end_ms, "] ms"));
    }
  }
}

}  // namespace

int64_t MonotonicNowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string FormatMemberEvent(const MemberEvent& e) {
  std::string line = absl::StrCat(kPrefix, e.at_ms, " ", KindName(e.kind));
  switch (e.kind) {
    case MemberEvent::Kind::kAssigned: {
      std::vector<std::string> parts;
      for (const auto& [topic, partition] : e.assignment) {
        parts.push_back(absl::StrCat(topic, ":", partition));
      }
      absl::StrAppend(&line, " ", e.generation, " ", parts.empty() ? "-" : absl::StrJoin(parts, ","));
      break;
    }
    case MemberEvent::Kind::kStart:
    case MemberEvent::Kind::kCommit:
      absl::StrAppend(&line, " ", e.begin_ms, " ", e.topic, " ", e.partition, " ", e.offset);
      break;
    case MemberEvent::Kind::kRecord:
      absl::StrAppend(&line, " ", e.topic, " ", e.partition, " ", e.offset, " ", OneLine(e.text));
      break;
    case MemberEvent::Kind::kCommitFailed:
      absl::StrAppend(&line, " ", e.begin_ms, " ", OneLine(e.text));
      break;
    case MemberEvent::Kind::kError:
      absl::StrAppend(&line, " ", OneLine(e.text));
      break;
    case MemberEvent::Kind::kClosed:
      break;
  }
  line.push_back('\n');
  return line;
}

bool ParseMemberEvent(std::string_view whole_line, MemberEvent* e) {
  absl::string_view line(whole_line.data(), whole_line.size());
  if (line.substr(0, kPrefix.size()) != kPrefix) return false;
  line.remove_prefix(kPrefix.size());
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  // The value or message is the rest of the line: split only the leading fields.
  std::vector<absl::string_view> fields = absl::StrSplit(line, absl::MaxSplits(' ', 5));
  int64_t at_ms = 0;
  if (fields.size() < 2 || !absl::SimpleAtoi(fields[0], &at_ms)) return false;
  *e = MemberEvent();
  e->at_ms = at_ms;
  const absl::string_view kind = fields[1];
  if (kind == "assigned") {
    e->kind = MemberEvent::Kind::kAssigned;
    if (fields.size() != 4 || !absl::SimpleAtoi(fields[2], &e->generation)) return false;
    if (fields[3] == "-") return true;
    for (absl::string_view part : absl::StrSplit(fields[3], ',')) {
      const size_t colon = part.rfind(':');
      int32_t partition = -1;
      if (colon == absl::string_view::npos || colon == 0 ||
          !absl::SimpleAtoi(part.substr(colon + 1), &partition)) {
        return false;
      }
      e->assignment.emplace_back(std::string(part.substr(0, colon)), partition);
    }
    std::sort(e->assignment.begin(), e->assignment.end());
    return true;
  }
  if (kind == "start" || kind == "commit") {
    e->kind = kind == "start" ? MemberEvent::Kind::kStart : MemberEvent::Kind::kCommit;
    return fields.size() == 6 && absl::SimpleAtoi(fields[2], &e->begin_ms) &&
           ParsePosition(fields, 3, e);
  }
  if (kind == "record") {
    e->kind = MemberEvent::Kind::kRecord;
    if (fields.size() < 5 || !ParsePosition(fields, 2, e)) return false;
    // Fields 2..4 are the position; the value is everything after them (maybe empty).
    e->text = fields.size() == 6 ? std::string(fields[5]) : "";
    return true;
  }
  if (kind == "commit-failed") {
    e->kind = MemberEvent::Kind::kCommitFailed;
    if (fields.size() < 3 || !absl::SimpleAtoi(fields[2], &e->begin_ms)) return false;
    std::vector<absl::string_view> rest = absl::StrSplit(line, absl::MaxSplits(' ', 3));
    e->text = rest.size() == 4 ? std::string(rest[3]) : "";
    return true;
  }
  if (kind == "error") {
    e->kind = MemberEvent::Kind::kError;
    std::vector<absl::string_view> rest = absl::StrSplit(line, absl::MaxSplits(' ', 2));
    e->text = rest.size() == 3 ? std::string(rest[2]) : "";
    return true;
  }
  if (kind == "closed") {
    e->kind = MemberEvent::Kind::kClosed;
    return fields.size() == 2;
  }
  return false;
}

std::vector<MemberEvent> MemberEventReader::ReadNew() {
  std::vector<MemberEvent> out;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return out;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  offset_ += chunk.size();
  partial_ += chunk;
  size_t start = 0;
  for (size_t nl = partial_.find('\n'); nl != std::string::npos;
       nl = partial_.find('\n', start)) {
    MemberEvent e;
    if (ParseMemberEvent(std::string_view(partial_).substr(start, nl - start), &e)) {
      out.push_back(std::move(e));
    }
    start = nl + 1;
  }
  partial_.erase(0, start);
  return out;
}

void GroupHistory::AddMemberEvents(const std::string& member,
                                   const std::vector<MemberEvent>& events) {
  for (const MemberEvent& e : events) {
    const TopicPartitionOffset at{e.topic, e.partition, e.offset};
    switch (e.kind) {
      case MemberEvent::Kind::kRecord:
        consumed.push_back({member, at, e.text});
        break;
      case MemberEvent::Kind::kCommit:
        offsets.push_back({"commit " + member, at, e.begin_ms, e.at_ms});
        break;
      case MemberEvent::Kind::kStart:
        offsets.push_back({"start " + member, at, e.begin_ms, e.at_ms});
        break;
      default:
        break;
    }
  }
}

GroupCheckResult CheckGroupHistory(const GroupHistory& history) {
  GroupCheckResult result;
  result.produced = history.produced.size();
  result.consumed = history.consumed.size();
  result.offset_observations = history.offsets.size();

  using Key = std::tuple<std::string, int32_t, int64_t>;
  std::map<Key, std::string> produced;
  for (const auto& [at, value] : history.produced) {
    auto [it, inserted] = produced.emplace(Key{at.topic, at.partition, at.offset}, value);
    if (!inserted && it->second != value) {
      result.violations.push_back(absl::StrCat("two records acknowledged at ", Name(at), ": '",
                                               it->second, "' and '", value, "'"));
    }
  }
  std::set<std::string> acknowledged_values;
  for (const auto& [at, value] : history.produced) acknowledged_values.insert(value);
  std::map<Key, int> times_consumed;
  for (const ConsumedRecord& r : history.consumed) {
    const Key key{r.at.topic, r.at.partition, r.at.offset};
    if (++times_consumed[key] == 2) ++result.redelivered;
    auto it = produced.find(key);
    if (it != produced.end()) {
      if (it->second != r.value) {
        result.violations.push_back(absl::StrCat(r.member, " consumed '", r.value, "' at ",
                                                 Name(r.at), " where '", it->second,
                                                 "' was acknowledged"));
      }
    } else if (acknowledged_values.count(r.value) > 0) {
      // The producer's first attempt was appended but its answer lost; the retry was
      // acknowledged at another offset (at-least-once produce).
      if (times_consumed[key] == 1) ++result.producer_duplicates;
    } else if (history.maybe_produced.count(r.value) == 0) {
      result.violations.push_back(
          absl::StrCat(r.member, " consumed '", r.value, "' at ", Name(r.at), ", never sent"));
    }
  }
  for (const auto& [key, value] : produced) {
    if (times_consumed.count(key) == 0) {
      result.violations.push_back(absl::StrCat(
          "lost: ", Name({std::get<0>(key), std::get<1>(key), std::get<2>(key)}), " '", value,
          "' was acknowledged and never consumed"));
    }
  }

  std::map<std::pair<std::string, int32_t>, std::vector<const OffsetObservation*>> by_partition;
  for (const OffsetObservation& o : history.offsets) {
    by_partition[{o.at.topic, o.at.partition}].push_back(&o);
  }
  for (const auto& [tp, observations] : by_partition) {
    CheckMonotonic(observations, &result.violations);
  }
  return result;
}

std::string GroupCheckResult::Summary() const {
  std::string out = absl::StrCat("produced(acknowledged)=", produced, " consumed=", consumed,
                                 " redelivered=", redelivered,
                                 " producer_duplicates=", producer_duplicates,
                                 " offset_observations=", offset_observations,
                                 " violations=", violations.size(), "\n");
  for (size_t i = 0; i < violations.size() && i < kViolationsShown; ++i) {
    absl::StrAppend(&out, "  ", violations[i], "\n");
  }
  if (violations.size() > kViolationsShown) {
    absl::StrAppend(&out, "  ... ", violations.size() - kViolationsShown, " more\n");
  }
  return out;
}

}  // namespace keel::testing
