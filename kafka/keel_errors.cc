#include "kafka/keel_errors.h"

namespace keel::kafka {

ErrorCode FromKeel(keel::ErrorCode code) {
  // common.proto numbers every code as Kafka does; keel_errors_test compares every name.
  return static_cast<ErrorCode>(code);
}

}  // namespace keel::kafka
