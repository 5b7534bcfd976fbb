#include "client/producer_config.h"

#include <gtest/gtest.h>

namespace keel::client {
namespace {

TEST(ProducerConfigTest, DefaultsAreKafkas) {
  auto c = ProducerConfig::FromProperties({});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->batch_size_bytes, 16384);
  EXPECT_EQ(c->linger_ms, 5);
  EXPECT_EQ(c->max_in_flight_requests_per_connection, 5);
  EXPECT_EQ(c->delivery_timeout_ms, 120000);
  EXPECT_EQ(c->buffer_memory_bytes, 33554432);
  EXPECT_EQ(c->acks, broker::ACKS_ALL);
}

TEST(ProducerConfigTest, ParsesKafkaStyleProperties) {
  auto props = ParseProperties({"batch.size=1000", "linger.ms = 0", "acks=1", "retries=3"});
  ASSERT_TRUE(props.ok());
  auto c = ProducerConfig::FromProperties(*props);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->batch_size_bytes, 1000);
  EXPECT_EQ(c->linger_ms, 0);
  EXPECT_EQ(c->acks, broker::ACKS_LEADER);
  EXPECT_EQ(c->retries, 3);
}

TEST(ProducerConfigTest, RejectsTyposAndBadValues) {
  EXPECT_FALSE(ProducerConfig::FromProperties({{"batch.sise", "1"}}).ok());
  EXPECT_FALSE(ProducerConfig::FromProperties({{"batch.size", "big"}}).ok());
  EXPECT_FALSE(ProducerConfig::FromProperties({{"batch.size", "0"}}).ok());
  EXPECT_FALSE(ProducerConfig::FromProperties({{"acks", "2"}}).ok());
  EXPECT_FALSE(ProducerConfig::FromProperties(
                   {{"delivery.timeout.ms", "100"}, {"request.timeout.ms", "200"}})
                   .ok());
  EXPECT_FALSE(ParseProperties({"novalue"}).ok());
  EXPECT_FALSE(ParseProperties({"=1"}).ok());
}

}  // namespace
}  // namespace keel::client
