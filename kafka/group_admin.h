// Consumer-group inspection and removal: DescribeGroups (key 15, v0-5), ListGroups (16,
// v0-5), DeleteGroups (42, v0-2).
#ifndef KEEL_KAFKA_GROUP_ADMIN_H_
#define KEEL_KAFKA_GROUP_ADMIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/metadata.h"  // kAuthorizedOperationsUnset

namespace keel::kafka {

struct DescribeGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr bool kIsRequest = true;

  std::vector<std::string> groups;
  bool include_authorized_operations = false;  // v3+

  void Io(FieldIo& io);
  bool operator==(const DescribeGroupsRequest&) const = default;
};

struct DescribeGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeGroups;
  static constexpr bool kIsRequest = false;

  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    std::string member_metadata;
    std::string member_assignment;
    void Io(FieldIo& io);
    bool operator==(const Member&) const = default;
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<Member> members;
    int32_t authorized_operations = kAuthorizedOperationsUnset;  // v3+
    void Io(FieldIo& io);
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Group> groups;

  void Io(FieldIo& io);
  bool operator==(const DescribeGroupsResponse&) const = default;
};

struct ListGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr bool kIsRequest = true;

  std::vector<std::string> states_filter;  // v4+
  std::vector<std::string> types_filter;   // v5+

  void Io(FieldIo& io);
  bool operator==(const ListGroupsRequest&) const = default;
};

struct ListGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kListGroups;
  static constexpr bool kIsRequest = false;

  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;  // v4+
    std::string group_type;   // v5+
    void Io(FieldIo& io);
    bool operator==(const Group&) const = default;
  };

  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<Group> groups;

  void Io(FieldIo& io);
  bool operator==(const ListGroupsResponse&) const = default;
};

struct DeleteGroupsRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr bool kIsRequest = true;

  std::vector<std::string> groups_names;

  void Io(FieldIo& io);
  bool operator==(const DeleteGroupsRequest&) const = default;
};

struct DeleteGroupsResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDeleteGroups;
  static constexpr bool kIsRequest = false;

  struct Result {
    std::string group_id;
    int16_t error_code = 0;
    void Io(FieldIo& io);
    bool operator==(const Result&) const = default;
  };

  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Io(FieldIo& io);
  bool operator==(const DeleteGroupsResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_GROUP_ADMIN_H_
