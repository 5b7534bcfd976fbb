// The v2 consumer instances: one client::Consumer per (group, name), created by
// POST /consumers/{group}, used by the instance's endpoints, removed by DELETE or after
// consumer.instance.timeout.ms without a request (the reaper closes it, which leaves the
// group so the other members rebalance at once).
//
// Locking: mu_ guards the map only and is never held across a call to the cluster. Each
// instance's own mutex serialises its requests, because a client::Consumer is not
// thread-safe (as Kafka's); it is held across that consumer's calls by design: two requests
// to one instance run one after the other.
#ifndef KEEL_BROKER_REST_CONSUMER_INSTANCES_H_
#define KEEL_BROKER_REST_CONSUMER_INSTANCES_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "broker/rest/embedded_format.h"
#include "client/consumer.h"
#include "client/group_client.h"

namespace keel::rest {

struct RestContext;

struct ConsumerInstance {
  std::string group;
  std::string name;
  EmbeddedFormat format = EmbeddedFormat::kBinary;

  std::mutex mu;
  std::unique_ptr<client::Consumer> consumer;   // guarded by mu; null once closed
  std::deque<client::ConsumerRecord> buffered;  // guarded by mu: polled, not yet returned
  // guarded by mu: per partition, the offset after the last record returned (what a commit
  // without a body commits).
  std::map<client::TopicPartition, int64_t> consumed;
  bool subscribed = false;           // guarded by mu: group member (else assigned by hand)
  bool auto_commit = true;           // guarded by mu: auto.commit.enable
  int64_t request_timeout_ms = 1000;  // guarded by mu: consumer.request.timeout.ms
  std::chrono::steady_clock::time_point last_commit;  // guarded by mu
  std::atomic<int64_t> last_used_ns{0};  // the injected clock's time of the last request
  std::atomic<int> active_requests{0};   // a request in progress is not silence
};

// Commits `offsets` (next offsets to consume): as the group member when subscribed, else as
// Kafka's simple commit outside any generation. The caller holds instance.mu.
absl::Status CommitOffsets(ConsumerInstance& instance, client::GroupClient& groups,
                           const client::OffsetMap& offsets);
// Commits the offsets after the records returned, of the partitions still assigned. The
// caller holds instance.mu.
absl::Status CommitReturned(ConsumerInstance& instance, client::GroupClient& groups);

class ConsumerInstances {
 public:
  explicit ConsumerInstances(RestContext* ctx);
  ~ConsumerInstances();

  // AlreadyExists for a taken (group, name); ResourceExhausted past max_consumer_instances;
  // InvalidArgument for a bad property.
  absl::StatusOr<std::shared_ptr<ConsumerInstance>> Create(const std::string& group,
                                                           const std::string& name,
                                                           EmbeddedFormat format,
                                                           const client::Properties& properties);
  // The instance (its silence timer restarted), or null. The caller counts its request in
  // active_requests while it uses the instance, so the reaper leaves it alone.
  std::shared_ptr<ConsumerInstance> Find(const std::string& group, const std::string& name);
  // Closes (committing what was returned, with auto.commit.enable) and forgets it; false
  // when unknown.
  bool Remove(const std::string& group, const std::string& name);
  // Restarts the instance's silence timer (at the end of a long request).
  void Touch(ConsumerInstance& instance);

  void StartReaper();
  void CloseAll();  // stops the reaper and closes every instance

 private:
  void ReapLoop();
  void Close(ConsumerInstance& instance);
  int64_t NowNs() const;

  RestContext* const ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<ConsumerInstance>>
      instances_;        // guarded by mu_
  bool stop_ = false;    // guarded by mu_
  std::thread reaper_;
};

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_CONSUMER_INSTANCES_H_
