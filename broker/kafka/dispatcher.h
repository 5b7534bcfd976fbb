// Dispatcher: the listener's RequestProcessor. Decodes the request header (v1, or v2 for a
// flexible version), finds the handler by api key, checks the version, runs the handler and
// frames the response with its header (v0, or v1 for a flexible version; ApiVersions always
// answers with header v0, KIP-511). Records the per-API metrics.
//
// What closes the connection (Kafka's behaviour): a header that does not decode, an api key
// no handler serves, or a version outside the handler's range (except ApiVersions, which
// answers UNSUPPORTED_VERSION in its v0 body so that clients retry lower), or a body the
// handler cannot decode.
//
// Thread safety: Process runs concurrently on every connection's thread; the table is fixed
// at construction.
#ifndef KEEL_BROKER_KAFKA_DISPATCHER_H_
#define KEEL_BROKER_KAFKA_DISPATCHER_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "broker/kafka/handler.h"
#include "broker/kafka/kafka_metrics.h"
#include "broker/kafka/server.h"

namespace keel::broker::kafka {

class Dispatcher : public RequestProcessor {
 public:
  // `metrics` may be null (tests).
  Dispatcher(std::vector<std::unique_ptr<Handler>> handlers, KafkaMetrics* metrics);

  Outcome Process(std::string_view frame, const std::string& peer,
                  const std::function<bool()>& closing) override;
  void ConnectionsChanged(int delta) override;

  const Handler* Find(int16_t api_key) const;
  // Every handler, by api key (ApiVersions lists them).
  const std::map<int16_t, std::unique_ptr<Handler>>& handlers() const { return handlers_; }

 private:
  std::map<int16_t, std::unique_ptr<Handler>> handlers_;
  KafkaMetrics* const metrics_;
};

}  // namespace keel::broker::kafka

#endif  // KEEL_BROKER_KAFKA_DISPATCHER_H_
