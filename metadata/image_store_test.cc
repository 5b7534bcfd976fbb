// The image's LevelDB form: saved changes and replaced images load back equal.
#include "metadata/image_store.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "metadata/image_records.h"

namespace keel::metadata {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  const char* root = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(root ? root : "/tmp") + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

MetadataRecord Register(int32_t id) {
  MetadataRecord r;
  r.mutable_register_broker()->set_broker_id(id);
  r.mutable_register_broker()->set_incarnation_id("inc");
  return r;
}

MetadataRecord ProducerIds(int64_t next) {
  MetadataRecord r;
  r.mutable_producer_ids()->set_broker_id(1);
  r.mutable_producer_ids()->set_broker_epoch(1);
  r.mutable_producer_ids()->set_next_producer_id(next);
  return r;
}

TEST(ImageStore, ProducerIdsRoundTripThroughSavedChangesAndReplacedImages) {
  auto store = storage::StateStore::Open(TempDir("image_store_pid") + "/state");
  ASSERT_TRUE(store.ok()) << store.status();
  auto fresh = LoadImage(**store);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(fresh->next_producer_id(), 0);

  MetadataImage image;
  ImageChanges changes;
  ASSERT_TRUE(image.Apply(Register(1), 1, &changes).ok());
  ASSERT_TRUE(image.Apply(ProducerIds(1000), 2, &changes).ok());
  ASSERT_TRUE(SaveImageChanges(**store, changes, 2).ok());
  changes.changes.clear();
  ASSERT_TRUE(image.Apply(ProducerIds(2000), 3, &changes).ok());
  ASSERT_TRUE(SaveImageChanges(**store, changes, 3).ok());

  auto loaded = LoadImage(**store);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->next_producer_id(), 2000);
  EXPECT_TRUE(*loaded == image);

  // After a snapshot install the whole image is rewritten from its own records.
  ASSERT_TRUE(image.Apply(ProducerIds(5000), 4).ok());
  ASSERT_TRUE(ReplaceImage(**store, image).ok());
  loaded = LoadImage(**store);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->next_producer_id(), 5000);
  EXPECT_TRUE(*loaded == image);
}

}  // namespace
}  // namespace keel::metadata
