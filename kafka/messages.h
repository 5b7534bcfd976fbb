// Every request and response this codec carries, plus Encode/Decode (kafka/message.h).
// One header per API family; each struct documents the versions of its fields.
#ifndef KEEL_KAFKA_MESSAGES_H_
#define KEEL_KAFKA_MESSAGES_H_

#include "kafka/api_versions.h"
#include "kafka/configs.h"
#include "kafka/describe_cluster.h"
#include "kafka/fetch.h"
#include "kafka/group_admin.h"
#include "kafka/group_membership.h"
#include "kafka/init_producer_id.h"
#include "kafka/list_offsets.h"
#include "kafka/message.h"
#include "kafka/metadata.h"
#include "kafka/offset_for_leader_epoch.h"
#include "kafka/offsets.h"
#include "kafka/produce.h"
#include "kafka/sasl.h"
#include "kafka/topic_admin.h"

#endif  // KEEL_KAFKA_MESSAGES_H_
