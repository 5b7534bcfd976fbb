// The REST endpoints, one group per file; each registers its routes on the router.
#ifndef KEEL_BROKER_REST_HANDLERS_H_
#define KEEL_BROKER_REST_HANDLERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "broker/rest/rest_router.h"
#include "proto/controller.pb.h"

namespace keel::rest {

void AddProduceV2Routes(Router& router, RestContext& ctx);    // produce_v2.cc
void AddMetadataV2Routes(Router& router, RestContext& ctx);   // metadata_v2.cc
void AddConsumerV2Routes(Router& router, RestContext& ctx);   // consumers_v2.cc
void AddV3Routes(Router& router, RestContext& ctx);           // v3.cc

// One topic as the controllers describe it; NotFound for an unknown topic.
absl::StatusOr<controller::TopicDescription> DescribeTopic(RestContext& ctx,
                                                           const std::string& topic);

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_HANDLERS_H_
