#include "broker/rest/consumer_instances.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "broker/rest/group_offsets.h"
#include "broker/rest/rest_router.h"
#include "common/logging.h"

namespace keel::rest {

ConsumerInstances::ConsumerInstances(RestContext* ctx) : ctx_(ctx) {}

ConsumerInstances::~ConsumerInstances() { CloseAll(); }

int64_t ConsumerInstances::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             ctx_->options.clock().time_since_epoch())
      .count();
}

absl::StatusOr<std::shared_ptr<ConsumerInstance>> ConsumerInstances::Create(
    const std::string& group, const std::string& name, EmbeddedFormat format,
    const client::Properties& properties) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (instances_.count({group, name}) > 0) {
      return absl::AlreadyExistsError(absl::StrCat("Consumer with specified consumer ID '", name,
                                                   "' already exists in group '", group, "'."));
    }
    if (static_cast<int>(instances_.size()) >= ctx_->options.max_consumer_instances) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "this proxy already has ", instances_.size(), " consumer instances (the limit)"));
    }
  }
  auto config = client::ConsumerConfig::FromProperties(properties);
  if (!config.ok()) return config.status();
  auto instance = std::make_shared<ConsumerInstance>();
  instance->group = group;
  instance->name = name;
  instance->format = format;
  instance->consumer =
      std::make_unique<client::Consumer>(*config, ctx_->metadata, ctx_->groups);
  instance->last_used_ns = NowNs();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, inserted] = instances_.emplace(std::make_pair(group, name), instance);
  if (!inserted) {
    return absl::AlreadyExistsError(absl::StrCat("Consumer with specified consumer ID '", name,
                                                 "' already exists in group '", group, "'."));
  }
  return instance;
}

std::shared_ptr<ConsumerInstance> ConsumerInstances::Find(const std::string& group,
                                                          const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = instances_.find({group, name});
  if (it == instances_.end()) return nullptr;
  it->second->last_used_ns = NowNs();
  return it->second;
}

void ConsumerInstances::Touch(ConsumerInstance& instance) { instance.last_used_ns = NowNs(); }

absl::Status CommitOffsets(ConsumerInstance& instance, client::GroupClient& groups,
                           const client::OffsetMap& offsets) {
  if (instance.subscribed) return instance.consumer->CommitSync(offsets);
  return CommitSimple(groups, instance.group, offsets);
}

absl::Status CommitReturned(ConsumerInstance& instance, client::GroupClient& groups) {
  client::OffsetMap offsets;
  for (const auto& tp : instance.consumer->Assignment()) {
    auto it = instance.consumed.find(tp);
    if (it != instance.consumed.end()) offsets[tp] = it->second;
  }
  if (offsets.empty()) return absl::OkStatus();
  return CommitOffsets(instance, groups, offsets);
}

void ConsumerInstances::Close(ConsumerInstance& instance) {
  std::lock_guard<std::mutex> lock(instance.mu);
  if (instance.consumer == nullptr) return;
  if (instance.auto_commit) {
    if (absl::Status s = CommitReturned(instance, *ctx_->groups); !s.ok()) {
      KEEL_LOG_WARN("rest: commit of consumer {} of group {} on close: {}", instance.name,
                    instance.group, s.ToString());
    }
  }
  absl::Status s = instance.consumer->Close();
  if (!s.ok()) {
    KEEL_LOG_WARN("rest: closing consumer {} of group {}: {}", instance.name, instance.group,
                  s.ToString());
  }
  instance.consumer.reset();
  instance.buffered.clear();
}

bool ConsumerInstances::Remove(const std::string& group, const std::string& name) {
  std::shared_ptr<ConsumerInstance> instance;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = instances_.find({group, name});
    if (it == instances_.end()) return false;
    instance = std::move(it->second);
    instances_.erase(it);
  }
  Close(*instance);
  return true;
}

void ConsumerInstances::StartReaper() {
  reaper_ = std::thread([this] { ReapLoop(); });
}

void ConsumerInstances::ReapLoop() {
  const int64_t timeout_ms = ctx_->options.consumer_instance_timeout_ms;
  // Checked a few times per timeout, at most once a second and at least every 10 ms.
  const auto period = std::chrono::milliseconds(std::clamp<int64_t>(timeout_ms / 4, 10, 1000));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [&] { return stop_; });
    if (stop_) break;
    const int64_t now = NowNs();
    std::vector<std::shared_ptr<ConsumerInstance>> expired;
    for (auto it = instances_.begin(); it != instances_.end();) {
      if (it->second->active_requests.load() == 0 &&
          now - it->second->last_used_ns.load() > timeout_ms * 1000000) {
        expired.push_back(std::move(it->second));
        it = instances_.erase(it);
      } else {
        ++it;
      }
    }
    if (expired.empty()) continue;
    lock.unlock();
    for (const auto& instance : expired) {
      KEEL_LOG_INFO("rest: consumer {} of group {} expired after {} ms without a request",
                    instance->name, instance->group, timeout_ms);
      Close(*instance);
    }
    lock.lock();
  }
}

void ConsumerInstances::CloseAll() {
  std::map<std::pair<std::string, std::string>, std::shared_ptr<ConsumerInstance>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    all.swap(instances_);
  }
  cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  for (auto& [key, instance] : all) Close(*instance);
}

}  // namespace keel::rest
