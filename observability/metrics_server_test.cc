#include "observability/metrics_server.h"

#include <gtest/gtest.h>

#include "observability/http_get.h"

namespace keel::observability {
namespace {

using std::chrono::milliseconds;

TEST(MetricsServerTest, ServesTheRegistryOnAnEphemeralPort) {
  auto registry = MetricsRegistry::Create();
  auto& counter = registry->Counter("keel_test_requests_total", "Requests.").Add({});
  counter.Increment(3);
  auto server = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);

  auto response = HttpGet("127.0.0.1", (*server)->port(), "/metrics", milliseconds(5000));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status_code, 200);
  EXPECT_NE(response->body.find("keel_test_requests_total 3"), std::string::npos) << response->body;

  counter.Increment();
  response = HttpGet("127.0.0.1", (*server)->port(), "/metrics", milliseconds(5000));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_NE(response->body.find("keel_test_requests_total 4"), std::string::npos);
}

TEST(MetricsServerTest, BadAddressesAreErrors) {
  auto registry = MetricsRegistry::Create();
  EXPECT_EQ(MetricsServer::Start("127.0.0.1", registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start("127.0.0.1:99999", registry).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto first = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

}  // namespace
}  // namespace keel::observability
