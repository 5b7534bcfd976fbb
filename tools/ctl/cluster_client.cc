#include "tools/ctl/cluster_client.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace keel::keelctl {

std::vector<std::string> SplitAddresses(const std::string& csv) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(csv, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

ClusterClient::ClusterClient(std::vector<std::string> controllers,
                             std::chrono::milliseconds timeout)
    : addresses_(std::move(controllers)), timeout_(timeout) {
  for (const std::string& a : addresses_) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(256 << 20);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    channels_.push_back(grpc::CreateCustomChannel(a, grpc::InsecureChannelCredentials(), args));
  }
}

grpc::Status ClusterClient::CallLeader(const Call& call) { return Run(call, true); }
grpc::Status ClusterClient::CallAny(const Call& call) { return Run(call, false); }

grpc::Status ClusterClient::Run(const Call& call, bool follow_leader) {
  if (channels_.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "no controllers given (use --controllers or KEEL_CONTROLLERS)");
  }
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  grpc::Status last(grpc::StatusCode::DEADLINE_EXCEEDED, "timed out before any attempt");
  while (std::chrono::steady_clock::now() < deadline) {
    for (size_t attempt = 0; attempt < channels_.size(); ++attempt) {
      size_t i = (preferred_ + attempt) % channels_.size();
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (remaining.count() <= 0) return last;
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::min(remaining, std::chrono::milliseconds(5000)));
      last = call(channels_[i], &context);
      bool retry = last.error_code() == grpc::StatusCode::UNAVAILABLE ||
                   (last.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                    std::chrono::steady_clock::now() < deadline);
      if (!retry) {
        preferred_ = i;
        return last;
      }
      if (follow_leader) {
        const auto& trailers = context.GetServerTrailingMetadata();
        auto it = trailers.find("keel-leader-address");
        if (it != trailers.end()) {
          std::string leader(it->second.data(), it->second.size());
          for (size_t j = 0; j < addresses_.size(); ++j) {
            if (addresses_[j] == leader && j != i) {
              preferred_ = j;
              attempt = channels_.size();  // restart the round at the leader
            }
          }
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return last;
}

}  // namespace keel::keelctl
