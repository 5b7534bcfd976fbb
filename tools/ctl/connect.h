// keelctl's connection to the cluster, built once per command from --controllers,
// --brokers and --timeout-ms: a client::AdminClient for the controllers and a
// client::MetadataCache for the data plane (the same library programs use).
#ifndef KEEL_TOOLS_CTL_CONNECT_H_
#define KEEL_TOOLS_CTL_CONNECT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "client/admin_client.h"
#include "client/metadata_cache.h"
#include "tools/ctl/commands.h"

namespace keel::keelctl {

// Every attempt is capped at 5 s (or the timeout), the whole call at --timeout-ms.
std::shared_ptr<client::AdminClient> AdminFor(const GlobalOptions& g);
// With controllers: topics' partitions and leaders from them. Without: only --brokers, and
// the caller declares the partition it uses (MetadataCache::AddStaticTopic).
std::shared_ptr<client::MetadataCache> MetadataFor(const GlobalOptions& g);

// Prints "keelctl: <what>: <status message>" and returns 1.
int ReportError(const std::string& what, const absl::Status& status);

}  // namespace keel::keelctl

#endif  // KEEL_TOOLS_CTL_CONNECT_H_
