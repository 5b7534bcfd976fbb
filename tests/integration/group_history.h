// The history of a consumer-group run whose members are processes (group_member_main.cc), and
// the checker of issue 17's two properties over it: every acknowledged record is consumed at
// least once, and a partition's committed offset never goes backwards.
//
// Member events are lines on the member's stdout (docs/testing.md, "Group member events"):
//   @ev <at_ms> assigned <generation> <topic>:<partition>,...   whole assignment after a change
//   @ev <at_ms> start <begin_ms> <topic> <partition> <offset>   a newly assigned partition's
//                                                               position (committed or reset)
//   @ev <at_ms> record <topic> <partition> <offset> <value>
//   @ev <at_ms> commit <begin_ms> <topic> <partition> <offset>  an acknowledged commit
//   @ev <at_ms> commit-failed <begin_ms> <message>
//   @ev <at_ms> error <message>
//   @ev <at_ms> closed
// Times are milliseconds of the machine's monotonic clock (CLOCK_MONOTONIC, which
// std::chrono::steady_clock reads on Linux), so the test and its members share one time line.
// Other lines (the client's logging on stderr, which shares the file) are not events.
#ifndef KEEL_TESTS_INTEGRATION_GROUP_HISTORY_H_
#define KEEL_TESTS_INTEGRATION_GROUP_HISTORY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keel::testing {

// Milliseconds on CLOCK_MONOTONIC (the same in every process of the machine).
int64_t MonotonicNowMs();

struct MemberEvent {
  enum class Kind { kAssigned, kStart, kRecord, kCommit, kCommitFailed, kError, kClosed };
  Kind kind = Kind::kError;
  int64_t at_ms = 0;
  int64_t begin_ms = 0;  // start, commit, commit-failed: when the call began
  int32_t generation = -1;  // assigned
  std::vector<std::pair<std::string, int32_t>> assignment;  // assigned, sorted
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string text;  // record: the value; commit-failed, error: the message
};

// One event as its line (with the trailing newline), for the member program.
std::string FormatMemberEvent(const MemberEvent& event);
// False when `line` is not an event line (or is malformed).
bool ParseMemberEvent(std::string_view line, MemberEvent* event);

// Reads a member's output file as it grows: each call returns the events of the lines
// completed since the last call (a line cut short by a SIGKILL is never completed).
class MemberEventReader {
 public:
  explicit MemberEventReader(std::string path) : path_(std::move(path)) {}
  std::vector<MemberEvent> ReadNew();

 private:
  std::string path_;
  uint64_t offset_ = 0;
  std::string partial_;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

// A reading of a partition's committed offset, during [begin_ms, end_ms]: an acknowledged
// commit (the offset is stored when its answer came), a new owner's start position (read
// from the coordinator inside that Poll), or an OffsetFetch.
struct OffsetObservation {
  std::string source;  // for messages: "commit m2", "start m4", "fetch"
  TopicPartitionOffset at;
  int64_t begin_ms = 0;
  int64_t end_ms = 0;
};

struct ConsumedRecord {
  std::string member;
  TopicPartitionOffset at;
  std::string value;
};

struct GroupHistory {
  // Acknowledged produces: each record's offset and value.
  std::vector<std::pair<TopicPartitionOffset, std::string>> produced;
  // Values sent whose outcome is unknown (failed or unanswered): they may be in the log.
  std::set<std::string> maybe_produced;
  std::vector<ConsumedRecord> consumed;
  std::vector<OffsetObservation> offsets;

  // Adds a member's events (records, commits, start positions) to the history.
  void AddMemberEvents(const std::string& member, const std::vector<MemberEvent>& events);
};

struct GroupCheckResult {
  std::vector<std::string> violations;  // empty: the history passes
  size_t produced = 0;
  size_t consumed = 0;         // consumed records, duplicates included
  size_t redelivered = 0;      // consumed more than once
  // Records in the log at an offset other than the one acknowledged for their value: a
  // produce retried after its first append's answer was lost (allowed: at-least-once).
  size_t producer_duplicates = 0;
  size_t offset_observations = 0;
  bool ok() const { return violations.empty(); }
  std::string Summary() const;  // one line of counts, then the first violations
};

// The checker. Violations:
//   - an acknowledged record no member consumed ("lost");
//   - a consumed record whose value differs from the one acknowledged at its offset, or that
//     was never sent (a value acknowledged at another offset, or sent without an answer, is
//     a producer retry's duplicate and allowed);
//   - committed offsets going backwards: two observations a, b of one partition with a over
//     before b began (a.end_ms < b.begin_ms) and b.offset < a.offset. (Observations that
//     overlap in time are not ordered, so a commit racing an OffsetFetch is never blamed.)
GroupCheckResult CheckGroupHistory(const GroupHistory& history);

}  // namespace keel::testing

#endif  // KEEL_TESTS_INTEGRATION_GROUP_HISTORY_H_
