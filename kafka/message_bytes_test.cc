// Hand-built byte vectors, written from the protocol guide and the message schemas (not
// produced by this codec), so that a field-order or encoding mistake in an Io() that the
// round-trip test cannot see (it would be symmetric) fails here.
#include <gtest/gtest.h>

#include <string>

#include "kafka/error_codes.h"
#include "kafka/messages.h"

namespace keel::kafka {
namespace {

std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string Hex(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
    out.push_back(' ');
  }
  return out;
}

// librdkafka 2.0's first request: ApiVersions v3, request header v2.
const std::string kApiVersionsV3Frame =
    B({0, 0, 0, 36,              // size
       0, 18, 0, 3, 0, 0, 0, 1,  // api key 18, v3, correlation id 1
       0, 7}) +
    "rdkafka" + B({0}) +                         // client id (INT16 length), header tags
    B({11}) + "librdkafka" + B({6}) + "2.0.2" +  // compact strings (length + 1)
    B({0});                                      // body tags

TEST(MessageBytesTest, ApiVersionsV3RequestAsLibrdkafkaSendsIt) {
  ASSERT_EQ(kApiVersionsV3Frame.size(), 40u);
  absl::StatusOr<int32_t> size = ReadFrameSize(kApiVersionsV3Frame.substr(0, 4));
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 36);
  absl::StatusOr<ParsedRequest> parsed =
      ParseRequest(std::string_view(kApiVersionsV3Frame).substr(4));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->header.key(), ApiKey::kApiVersions);
  EXPECT_EQ(parsed->header.api_version, 3);
  EXPECT_EQ(parsed->header.correlation_id, 1);
  EXPECT_EQ(parsed->header.client_id, "rdkafka");
  absl::StatusOr<ApiVersionsRequest> request = Decode<ApiVersionsRequest>(parsed->body, 3);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->client_software_name, "librdkafka");
  EXPECT_EQ(request->client_software_version, "2.0.2");

  absl::StatusOr<std::string> frame = EncodeRequestFrame(*request, 3, 1, "rdkafka");
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(Hex(*frame), Hex(kApiVersionsV3Frame));
}

TEST(MessageBytesTest, ApiVersionsV3ResponseHasAV0Header) {
  ApiVersionsResponse response;
  response.api_keys.push_back({0, 3, 9});
  absl::StatusOr<std::string> frame = EncodeResponseFrame(response, 3, 7);
  ASSERT_TRUE(frame.ok());
  std::string expected = B({0, 0, 0, 19,           // size
                            0, 0, 0, 7,            // correlation id, no header tags (v0 header)
                            0, 0,                  // error code
                            2,                     // compact array of 1
                            0, 0, 0, 3,  0, 9, 0,  // Produce 3..9, element tags
                            0, 0, 0, 0,            // throttle
                            0});                   // body tags
  EXPECT_EQ(Hex(*frame), Hex(expected));
  absl::StatusOr<ParsedResponse> parsed =
      ParseResponse(std::string_view(*frame).substr(4), ApiKey::kApiVersions, 3);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->correlation_id, 7);
  absl::StatusOr<ApiVersionsResponse> decoded = Decode<ApiVersionsResponse>(parsed->body, 3);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(*decoded == response);
}

TEST(MessageBytesTest, UnsupportedApiVersionsIsAnsweredInTheV0Layout) {
  // A client asks for ApiVersions v9: we answer UNSUPPORTED_VERSION with the v0 body.
  const std::string request = B({0, 18, 0, 9, 0, 0, 0, 5, 0xff, 0xff, 0, 0x42, 0x42});
  absl::StatusOr<ParsedRequest> parsed = ParseRequest(request);
  ASSERT_TRUE(parsed.ok());  // header v2 (v9 is past flexible-from): empty tag section
  EXPECT_EQ(parsed->header.client_id, std::nullopt);
  EXPECT_FALSE(IsSupported(ApiKey::kApiVersions, 9));
  EXPECT_EQ(Decode<ApiVersionsRequest>(parsed->body, 9).status().code(),
            absl::StatusCode::kUnimplemented);
  ApiVersionsResponse response;
  response.error_code = Code(ErrorCode::kUnsupportedVersion);
  response.api_keys.push_back({18, 0, 3});
  absl::StatusOr<std::string> body = Encode(response, 0);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(Hex(*body), Hex(B({0, 35, 0, 0, 0, 1, 0, 18, 0, 0, 0, 3})));
}

TEST(MessageBytesTest, MetadataRequestTopicsAllAndNamed) {
  MetadataRequest all;  // null: all topics
  EXPECT_EQ(Hex(*Encode(all, 1)), Hex(B({0xff, 0xff, 0xff, 0xff})));
  EXPECT_EQ(Hex(*Encode(all, 0)), Hex(B({0, 0, 0, 0})));  // v0: empty means all
  // v9 (flexible): null compact array, allow_auto_topic_creation, two v8+ flags, tags.
  EXPECT_EQ(Hex(*Encode(all, 9)), Hex(B({0, 1, 0, 0, 0})));
  // v4: one topic "t", allow_auto_topic_creation false.
  MetadataRequest named;
  named.topics.emplace();
  named.topics->push_back({Uuid{}, "t"});
  named.allow_auto_topic_creation = false;
  EXPECT_EQ(Hex(*Encode(named, 4)), Hex(B({0, 0, 0, 1, 0, 1, 't', 0})));
  absl::StatusOr<MetadataRequest> v0_all = Decode<MetadataRequest>(B({0, 0, 0, 0}), 0);
  ASSERT_TRUE(v0_all.ok());
  ASSERT_TRUE(v0_all->topics.has_value());
  EXPECT_TRUE(v0_all->topics->empty());
  EXPECT_FALSE(Decode<MetadataRequest>(B({0xff, 0xff, 0xff, 0xff}), 0).ok());  // no null in v0
}

TEST(MessageBytesTest, MetadataResponseV4) {
  const std::string body =
      B({0, 0, 0, 0,  // throttle (v3+)
         0, 0, 0, 1,  // 1 broker
         0, 0, 0, 1, 0, 9}) +
      "127.0.0.1" +         // node 1, host
      B({0, 0, 0x23, 0x84,  // port 9092
         0xff, 0xff,        // rack null
         0, 3}) +
      "kc1" +                             // cluster id
      B({0, 0, 0, 1,                      // controller id
         0, 0, 0, 1,                      // 1 topic
         0, 0, 0, 1, 't',                 // error 0, name "t"
         0,                               // is_internal
         0, 0, 0, 1,                      // 1 partition
         0, 6, 0, 0, 0,   0, 0, 0, 0, 1,  // NOT_LEADER_OR_FOLLOWER, p0, leader 1
         0, 0, 0, 1, 0,   0, 0, 1,        // replicas [1]
         0, 0, 0, 1, 0,   0, 0, 1});      // isr [1]
  absl::StatusOr<MetadataResponse> r = Decode<MetadataResponse>(body, 4);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->brokers.size(), 1u);
  EXPECT_EQ(r->brokers[0].host, "127.0.0.1");
  EXPECT_EQ(r->brokers[0].port, 9092);
  EXPECT_EQ(r->cluster_id, "kc1");
  EXPECT_EQ(r->controller_id, 1);
  ASSERT_EQ(r->topics.size(), 1u);
  EXPECT_EQ(r->topics[0].name, "t");
  ASSERT_EQ(r->topics[0].partitions.size(), 1u);
  EXPECT_EQ(r->topics[0].partitions[0].error_code, Code(ErrorCode::kNotLeaderOrFollower));
  EXPECT_EQ(r->topics[0].partitions[0].leader_epoch, -1);  // not in v4: Kafka's default
  EXPECT_EQ(*Encode(*r, 4), body);
}

TEST(MessageBytesTest, ProduceV3Request) {
  const std::string records = "RECS";
  const std::string body = B({0xff, 0xff,                            // transactional id null
                              0xff, 0xff,                            // acks -1
                              0,    0,    0x75, 0x30,                // timeout 30000
                              0,    0,    0,    1,    0, 1, 't',     // 1 topic "t"
                              0,    0,    0,    1,    0, 0, 0,   2,  // 1 partition, index 2
                              0,    0,    0,    4}) +
                           records;  // records (NULLABLE_BYTES)
  absl::StatusOr<ProduceRequest> r = Decode<ProduceRequest>(body, 3);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->transactional_id, std::nullopt);
  EXPECT_EQ(r->acks, -1);
  EXPECT_EQ(r->timeout_ms, 30000);
  ASSERT_EQ(r->topics.size(), 1u);
  ASSERT_EQ(r->topics[0].partitions.size(), 1u);
  EXPECT_EQ(r->topics[0].partitions[0].index, 2);
  EXPECT_EQ(r->topics[0].partitions[0].records, records);
}

TEST(MessageBytesTest, FetchResponseV12TaggedLeaderHint) {
  FetchResponse response;
  response.responses.push_back({});
  response.responses[0].topic = "t";
  FetchResponse::Partition p;
  p.error_code = Code(ErrorCode::kNotLeaderOrFollower);
  p.current_leader = {2, 5};
  response.responses[0].partitions.push_back(p);
  const std::string expected =
      B({0,    0,    0,    0,                             // throttle
         0,    0,                                         // error
         0,    0,    0,    0,                             // session id
         2,    2,    't',                                 // 1 topic, compact "t"
         2,                                               // 1 partition
         0,    0,    0,    0,    0,    6,                 // index 0, NOT_LEADER_OR_FOLLOWER
         0,    0,    0,    0,    0,    0,    0,    0,     // high watermark
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // last stable offset -1
         0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // log start offset -1
         0,                                               // aborted transactions null (compact)
         0xff, 0xff, 0xff, 0xff,                          // preferred read replica -1
         0,                                               // records null
         1,    1,    9,  // one tagged field: tag 1 (CurrentLeader), 9 bytes
         0,    0,    0,    2,    0,    0,    0,    5,    0,  // leader 2, epoch 5, its tags
         0,                                                  // topic tags
         0});                                                // response tags
  absl::StatusOr<std::string> body = Encode(response, 12);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(Hex(*body), Hex(expected));
}

TEST(MessageBytesTest, UnknownTaggedFieldsAreSkipped) {
  // HeartbeatResponse v4 with an unknown tag 7 of 3 bytes.
  const std::string body = B({0, 0, 0, 0, 0, 27, 1, 7, 3, 'a', 'b', 'c'});
  absl::StatusOr<HeartbeatResponse> r = Decode<HeartbeatResponse>(body, 4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->error_code, Code(ErrorCode::kRebalanceInProgress));
  // A tag whose size runs past the end is an error.
  EXPECT_FALSE(Decode<HeartbeatResponse>(B({0, 0, 0, 0, 0, 27, 1, 7, 9, 'a'}), 4).ok());
}

TEST(MessageBytesTest, CreateTopicsResponseV5TopicConfigErrorCodeIsTag0) {
  CreateTopicsResponse response;
  CreateTopicsResponse::Topic topic;
  topic.name = "t";
  topic.topic_config_error_code = 40;
  topic.num_partitions = 3;
  topic.replication_factor = 1;
  response.topics.push_back(topic);
  const std::string expected = B({0, 0, 0,   0,      // throttle
                                  2, 2, 't',         // 1 topic, "t"
                                  0, 0,              // error code
                                  0,                 // error message null
                                  0, 0, 0,   3,      // partitions
                                  0, 1,              // replication factor
                                  0,                 // configs null
                                  1, 0, 2,   0, 40,  // tag 0, 2 bytes: INVALID_CONFIG
                                  0});
  EXPECT_EQ(Hex(*Encode(response, 5)), Hex(expected));
}

TEST(MessageBytesTest, JoinGroupV5RequestAsLibrdkafkaShapesIt) {
  const std::string body = B({0, 1, 'g',         // group id
                              0, 0, 0xaf, 0xc8,  // session timeout 45000
                              0, 4, 0x93, 0xe0,  // rebalance timeout 300000
                              0, 0,              // member id ""
                              0xff, 0xff,        // group instance id null
                              0, 8}) +
                           "consumer" +                       // protocol type
                           B({0, 0, 0, 1, 0, 5}) + "range" +  // 1 protocol "range"
                           B({0, 0, 0, 2, 'm', 'd'});         // metadata bytes
  absl::StatusOr<JoinGroupRequest> r = Decode<JoinGroupRequest>(body, 5);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->session_timeout_ms, 45000);
  EXPECT_EQ(r->rebalance_timeout_ms, 300000);
  EXPECT_EQ(r->group_instance_id, std::nullopt);
  ASSERT_EQ(r->protocols.size(), 1u);
  EXPECT_EQ(r->protocols[0].name, "range");
  EXPECT_EQ(r->protocols[0].metadata, "md");
}

TEST(MessageBytesTest, CodecApiVersionsListsEveryApi) {
  std::vector<ApiVersionsResponse::ApiVersion> versions = CodecApiVersions();
  ASSERT_EQ(versions.size(), SupportedApis().size());
  EXPECT_EQ(versions[0].api_key, 0);  // Produce 0..11 (librdkafka needs v0 to compress)
  EXPECT_EQ(versions[0].min_version, 0);
  EXPECT_EQ(versions[0].max_version, 11);
}

TEST(MessageBytesTest, HeaderV1ForNonFlexibleAndV2ForFlexible) {
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kMetadata, 8), 1);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kMetadata, 9), 2);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kMetadata, 9), 1);
  EXPECT_EQ(ResponseHeaderVersion(ApiKey::kApiVersions, 3), 0);
  EXPECT_EQ(RequestHeaderVersion(ApiKey::kSaslHandshake, 1), 1);
  EXPECT_EQ(RequestHeaderVersion(static_cast<ApiKey>(999), 5), 1);
  EXPECT_FALSE(ReadFrameSize(B({0xff, 0, 0, 0})).ok());
  EXPECT_FALSE(ParseRequest(B({0, 3, 0, 9, 0, 0})).ok());  // truncated header
}

}  // namespace
}  // namespace keel::kafka
