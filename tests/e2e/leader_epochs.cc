#include "tests/e2e/leader_epochs.h"

#include <fstream>
#include <regex>

namespace keel::e2e {

void LeaderEpochs::Observe(int64_t epoch, int leader, const std::string& source) {
  std::lock_guard<std::mutex> lock(mu_);
  ++observations_;
  auto& sources = leaders_[epoch][leader];
  if (sources.size() < 4) sources.insert(source);
}

int LeaderEpochs::ObserveLog(const std::string& path, const std::string& source) {
  static const std::regex kElected(R"(node (\d+): elected leader for epoch (\d+))");
  std::ifstream in(path);
  std::string line;
  int found = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, kElected)) {
      Observe(std::stoll(m[2].str()), std::stoi(m[1].str()), source);
      ++found;
    }
  }
  return found;
}

std::vector<std::string> LeaderEpochs::Violations() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [epoch, leaders] : leaders_) {
    if (leaders.size() <= 1) continue;
    std::string line = "epoch " + std::to_string(epoch) + " had leaders";
    for (const auto& [leader, sources] : leaders) {
      line += " " + std::to_string(leader) + " (seen by";
      for (const auto& s : sources) line += " " + s;
      line += ")";
    }
    out.push_back(line);
  }
  return out;
}

int64_t LeaderEpochs::epochs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(leaders_.size());
}

int64_t LeaderEpochs::observations() const {
  std::lock_guard<std::mutex> lock(mu_);
  return observations_;
}

}  // namespace keel::e2e
