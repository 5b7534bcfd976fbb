// DescribeCluster (key 60), v0-1: cluster id, controller and brokers (the admin clients'
// view; every version is flexible).
#ifndef KEEL_KAFKA_DESCRIBE_CLUSTER_H_
#define KEEL_KAFKA_DESCRIBE_CLUSTER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/api_keys.h"
#include "kafka/field_io.h"
#include "kafka/metadata.h"  // kAuthorizedOperationsUnset

namespace keel::kafka {

struct DescribeClusterRequest {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeCluster;
  static constexpr bool kIsRequest = true;

  bool include_cluster_authorized_operations = false;
  int8_t endpoint_type = 1;  // v1+; 1 = brokers, 2 = controllers

  void Io(FieldIo& io);
  bool operator==(const DescribeClusterRequest&) const = default;
};

struct DescribeClusterResponse {
  static constexpr ApiKey kApiKey = ApiKey::kDescribeCluster;
  static constexpr bool kIsRequest = false;

  struct Broker {
    int32_t broker_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
    void Io(FieldIo& io);
    bool operator==(const Broker&) const = default;
  };

  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int8_t endpoint_type = 1;  // v1+
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<Broker> brokers;
  int32_t cluster_authorized_operations = kAuthorizedOperationsUnset;

  void Io(FieldIo& io);
  bool operator==(const DescribeClusterResponse&) const = default;
};

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_DESCRIBE_CLUSTER_H_
