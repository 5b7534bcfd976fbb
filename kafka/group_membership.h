// Classic consumer-group membership: FindCoordinator (key 10, v0-6), JoinGroup (11, v0-9),
// SyncGroup (14, v0-5), Heartbeat (12, v0-4), LeaveGroup (13, v0-5). Member metadata and
// assignments are opaque bytes to the broker (the client's assignor reads them).
#ifndef KEEL_KAFKA_GROUP_MEMBERSHIP_H_
#define KEEL_KAFKA_GROUP_MEMBERSHIP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"

namespace keel::kafka {

inline constexpr int8_t kCoordinatorKeyTypeGroup = 0;
inline constexpr int8_t kCoordinatorKeyTypeTransaction = 1;

struct FindCoordinatorRequest {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr bool kIsRequest = true;

  std::string key;                             // v0-3
  int8_t key_type = kCoordinatorKeyTypeGroup;  // v1+
  std::vector<std::string> coordinator_keys;   // v4+ (batched)

  void Io(FieldIo& io);
  bool operator==(const FindCoordinatorRequest&) const = default;
};

struct FindCoordinatorResponse {
  static constexpr ApiKey kApiKey = ApiKey::kFindCoordinator;
  static constexpr bool kIsRequest = false;

  struct Coordinator {  // v4+
    std::string key;
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    void Io(FieldIo& io);
    bool operator==(const Coordinator&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  // v0-3: one coordinator.
  int16_t error_code = 0;
  std::optional<std::string> error_message;  // v1-3
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;
  std::vector<Coordinator> coordinators;  // v4+

  void Io(FieldIo& io);
  bool operator==(const FindCoordinatorResponse&) const = default;
};

struct JoinGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr bool kIsRequest = true;

  struct Protocol {
    std::string name;
    std::string metadata;
    void Io(FieldIo& io);
    bool operator==(const Protocol&) const = default;
  };

  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v1+
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v5+
  std::string protocol_type;
  std::vector<Protocol> protocols;
  std::optional<std::string> reason;  // v8+

  void Io(FieldIo& io);
  bool operator==(const JoinGroupRequest&) const = default;
};

struct JoinGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kJoinGroup;
  static constexpr bool kIsRequest = false;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    std::string metadata;
    void Io(FieldIo& io);
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v2+
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  std::optional<std::string> protocol_name;  // nullable v7+
  std::string leader;
  bool skip_assignment = false;  // v9+
  std::string member_id;
  std::vector<Member> members;

  void Io(FieldIo& io);
  bool operator==(const JoinGroupResponse&) const = default;
};

struct SyncGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr bool kIsRequest = true;

  struct Assignment {
    std::string member_id;
    std::string assignment;
    void Io(FieldIo& io);
    bool operator==(const Assignment&) const = default;
  };

  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+
  std::optional<std::string> protocol_type;      // v5+
  std::optional<std::string> protocol_name;      // v5+
  std::vector<Assignment> assignments;           // the leader's; empty from followers

  void Io(FieldIo& io);
  bool operator==(const SyncGroupRequest&) const = default;
};

struct SyncGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kSyncGroup;
  static constexpr bool kIsRequest = false;

  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::string assignment;

  void Io(FieldIo& io);
  bool operator==(const SyncGroupResponse&) const = default;
};

struct HeartbeatRequest {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr bool kIsRequest = true;

  std::string group_id;
  int32_t generation_id = 0;
  std::string member_id;
  std::optional<std::string> group_instance_id;  // v3+

  void Io(FieldIo& io);
  bool operator==(const HeartbeatRequest&) const = default;
};

struct HeartbeatResponse {
  static constexpr ApiKey kApiKey = ApiKey::kHeartbeat;
  static constexpr bool kIsRequest = false;

  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;

  void Io(FieldIo& io);
  bool operator==(const HeartbeatResponse&) const = default;
};

struct LeaveGroupRequest {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr bool kIsRequest = true;

  struct Member {  // v3+
    std::string member_id;
    std::optional<std::string> group_instance_id;
    std::optional<std::string> reason;  // v5+
    void Io(FieldIo& io);
    bool operator==(const Member&) const = default;
  };

  std::string group_id;
  std::string member_id;        // v0-2
  std::vector<Member> members;  // v3+

  void Io(FieldIo& io);
  bool operator==(const LeaveGroupRequest&) const = default;
};

struct LeaveGroupResponse {
  static constexpr ApiKey kApiKey = ApiKey::kLeaveGroup;
  static constexpr bool kIsRequest = false;

  struct Member {  // v3+
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;
    void Io(FieldIo& io);
    bool operator==(const Member&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<Member> members;  // v3+

  void Io(FieldIo& io);
  bool operator==(const LeaveGroupResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_GROUP_MEMBERSHIP_H_
