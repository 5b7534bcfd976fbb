#include "tools/ctl/output.h"

#include <gtest/gtest.h>

namespace keel::keelctl {
namespace {

TEST(FormatTable, PadsColumnsToWidestCell) {
  std::string table = FormatTable({"Id", "Address"}, {{"1", "127.0.0.1:19091"}, {"10", "h:1"}});
  EXPECT_EQ(table,
            "Id  Address\n"
            "1   127.0.0.1:19091\n"
            "10  h:1\n");
}

TEST(FormatIdList, PrintsLikeKafka) {
  EXPECT_EQ(FormatIdList({1, 2, 3}), "[1,2,3]");
  EXPECT_EQ(FormatIdList({}), "[]");
}

}  // namespace
}  // namespace keel::keelctl
