#include "common/properties_file.h"

#include <cstdlib>
#include <fstream>

#include <gflags/gflags.h>
#include <gtest/gtest.h>

DEFINE_int32(test_node_id, 0, "test flag");
DEFINE_string(test_voters, "", "test flag");
DEFINE_string(test_listen, "default", "test flag");
DEFINE_int32(test_count, 0, "test flag");

namespace keel::common {
namespace {

std::string WriteTemp(const std::string& name, const std::string& text) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string path = std::string(tmp ? tmp : "/tmp") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(PropertiesFile, SetsFlagsByDottedOrUnderscoredKeys) {
  std::string path = WriteTemp("a.properties",
                               "# comment\n! also a comment\n\n"
                               "test.node.id = 3\n"
                               "test_voters=1@h:1,2@h:2\n");
  ASSERT_TRUE(ApplyPropertiesFileToFlags(path).ok());
  EXPECT_EQ(FLAGS_test_node_id, 3);
  EXPECT_EQ(FLAGS_test_voters, "1@h:1,2@h:2");
}

TEST(PropertiesFile, CommandLineWins) {
  gflags::SetCommandLineOption("test_listen", "from-command-line");
  std::string path = WriteTemp("b.properties", "test.listen=from-file\n");
  ASSERT_TRUE(ApplyPropertiesFileToFlags(path).ok());
  EXPECT_EQ(FLAGS_test_listen, "from-command-line");
}

TEST(PropertiesFile, RejectsUnknownKeysBadValuesAndMalformedLines) {
  EXPECT_EQ(ApplyPropertiesFileToFlags(WriteTemp("c", "no.such.flag=1\n")).code(),
            absl::StatusCode::kInvalidArgument);
  absl::Status bad_value = ApplyPropertiesFileToFlags(WriteTemp("d", "test.count=abc\n"));
  EXPECT_EQ(bad_value.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad_value.message().find("invalid value 'abc'"), absl::string_view::npos);
  EXPECT_EQ(ApplyPropertiesFileToFlags(WriteTemp("e", "just words\n")).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplyPropertiesFileToFlags("/nonexistent/x.properties").code(),
            absl::StatusCode::kNotFound);
}

TEST(PropertiesFile, ParsesLinesInOrderKeepingKeysAsWritten) {
  auto lines = ParsePropertyLines("# c\n a.b = 1 \n\n! c\nx=y=z\na.b=2\n", "f");
  ASSERT_TRUE(lines.ok()) << lines.status();
  std::vector<std::pair<std::string, std::string>> want = {
      {"a.b", "1"}, {"x", "y=z"}, {"a.b", "2"}};
  EXPECT_EQ(*lines, want);
  auto map = ParseProperties("a.b=1\na.b=2\n", "f");
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->at("a.b"), "2");
  absl::Status bad = ParseProperties("ok=1\nno equals here\n", "f.properties").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("f.properties:2"), absl::string_view::npos) << bad;
}

}  // namespace
}  // namespace keel::common
