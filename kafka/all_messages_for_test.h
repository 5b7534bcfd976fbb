// Test-only: every request and response type, for tests that run over all of them.
#ifndef KEEL_KAFKA_ALL_MESSAGES_FOR_TEST_H_
#define KEEL_KAFKA_ALL_MESSAGES_FOR_TEST_H_

#include <tuple>

#include "kafka/messages.h"

namespace keel::kafka {

using AllMessages = std::tuple<
    ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, MetadataResponse, ProduceRequest,
    ProduceResponse, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse,
    OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, CreateTopicsRequest,
    CreateTopicsResponse, DeleteTopicsRequest, DeleteTopicsResponse, CreatePartitionsRequest,
    CreatePartitionsResponse, DescribeConfigsRequest, DescribeConfigsResponse,
    IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse, DescribeClusterRequest,
    DescribeClusterResponse, InitProducerIdRequest, InitProducerIdResponse, FindCoordinatorRequest,
    FindCoordinatorResponse, JoinGroupRequest, JoinGroupResponse, SyncGroupRequest,
    SyncGroupResponse, HeartbeatRequest, HeartbeatResponse, LeaveGroupRequest, LeaveGroupResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetFetchRequest, OffsetFetchResponse,
    DescribeGroupsRequest, DescribeGroupsResponse, ListGroupsRequest, ListGroupsResponse,
    DeleteGroupsRequest, DeleteGroupsResponse, SaslHandshakeRequest, SaslHandshakeResponse,
    SaslAuthenticateRequest, SaslAuthenticateResponse>;

// Calls f.template operator()<M>() for every message type M.
template <class F>
void ForEachMessage(F&& f) {
  std::apply([&](auto... m) { (f(m), ...); }, AllMessages{});
}

}  // namespace keel::kafka

#endif  // KEEL_KAFKA_ALL_MESSAGES_FOR_TEST_H_
