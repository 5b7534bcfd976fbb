// v3: /v3/clusters...
#include "broker/rest/handlers.h"

namespace keel::rest {

void AddV3Routes(Router& router, RestContext& ctx) {}

}  // namespace keel::rest
