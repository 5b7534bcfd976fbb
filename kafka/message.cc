#include "kafka/message.h"

namespace keel::kafka {

absl::Status UnsupportedVersionError(ApiKey key, int16_t version) {
  const ApiInfo* api = FindApi(static_cast<int16_t>(key));
  if (api == nullptr)
    return absl::UnimplementedError(absl::StrCat(ApiName(key), " is not supported"));
  return absl::UnimplementedError(absl::StrCat(ApiName(key), " v", version, " is not supported (v",
                                               api->min_version, "-", api->max_version, ")"));
}

}  // namespace keel::kafka
