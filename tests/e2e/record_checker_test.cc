#include "tests/e2e/record_checker.h"

#include <gtest/gtest.h>

namespace keel::e2e {
namespace {

Operation Produce(int client, std::vector<std::string> values, Outcome outcome) {
  static int64_t id = 0;
  Operation op;
  op.id = id++;
  op.client = client;
  op.type = OpType::kProduce;
  op.key = "t-0";
  op.values = std::move(values);
  op.outcome = outcome;
  return op;
}

Operation Fetch(std::vector<std::string> records) {
  Operation op;
  op.type = OpType::kFetch;
  op.key = "t-0";
  op.values = std::move(records);
  op.outcome = Outcome::kOk;
  return op;
}

TEST(RecordChecker, AcceptsAckedOnceInOrderAndUnknownEitherWay) {
  std::vector<Operation> h = {Produce(1, {"a", "b"}, Outcome::kOk),
                              Produce(1, {"c"}, Outcome::kUnknown),
                              Produce(1, {"d"}, Outcome::kUnknown),
                              Produce(2, {"x"}, Outcome::kOk), Produce(1, {"e"}, Outcome::kOk),
                              Fetch({FetchedRecord(0, "a"), FetchedRecord(1, "x")})};
  auto r = CheckRecords(h, {{"t-0", {"a", "x", "b", "c", "e"}}});
  EXPECT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(r.acked_values, 4);
  EXPECT_EQ(r.unknown_values_present, 1);
}

TEST(RecordChecker, FindsLostDuplicatedReorderedPhantomAndRefusedValues) {
  std::vector<Operation> h = {Produce(1, {"a"}, Outcome::kOk), Produce(1, {"b"}, Outcome::kOk),
                              Produce(1, {"c"}, Outcome::kOk), Produce(1, {"d"}, Outcome::kFail)};
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a", "b"}}}).errors.size(), 1u);            // c lost
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a", "b", "c", "c"}}}).errors.size(), 1u);  // dup
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"b", "a", "c"}}}).errors.size(), 1u);       // order
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a", "b", "c", "z"}}}).errors.size(), 1u);  // phantom
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a", "b", "c", "d"}}}).errors.size(), 1u);  // refused
}

TEST(RecordChecker, FindsFetchesOfDataThatDidNotStay) {
  std::vector<Operation> h = {Produce(1, {"a"}, Outcome::kOk),
                              Produce(1, {"b"}, Outcome::kUnknown),
                              Fetch({FetchedRecord(0, "a"), FetchedRecord(1, "b")})};
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a"}}}).errors.size(), 1u);  // beyond the end
  h.push_back(Produce(2, {"c"}, Outcome::kOk));
  EXPECT_EQ(CheckRecords(h, {{"t-0", {"a", "c"}}}).errors.size(), 1u);  // other value
}

}  // namespace
}  // namespace keel::e2e
