#include "kafka/keel_errors.h"

namespace keel::kafka {

ErrorCode FromKeel(keel::ErrorCode code) {
  // common.proto numbers every code as Kafka does but this one (82 is Kafka's
  // FENCED_INSTANCE_ID); keel_errors_test compares every name.
  if (code == keel::INVALID_UPDATE_VERSION) return ErrorCode::kInvalidUpdateVersion;
  return static_cast<ErrorCode>(code);
}

}  // namespace keel::kafka
