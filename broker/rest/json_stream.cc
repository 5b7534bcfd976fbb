#include "broker/rest/json_stream.h"

#include "absl/strings/ascii.h"

namespace keel::rest {

absl::Status JsonObjectSplitter::Feed(absl::string_view bytes, std::vector<std::string>* out) {
  for (const char c : bytes) {
    if (depth_ == 0) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c))) continue;
      if (c != '{') {
        return absl::InvalidArgumentError("expected a JSON object at the top of the record stream");
      }
    }
    current_.push_back(c);
    if (current_.size() > max_object_bytes_) {
      return absl::InvalidArgumentError("a record in the stream is larger than the body limit");
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        out->push_back(std::move(current_));
        current_.clear();
      }
    }
  }
  return absl::OkStatus();
}

absl::Status JsonObjectSplitter::Finish() const {
  if (depth_ != 0 || !current_.empty()) {
    return absl::InvalidArgumentError("the record stream ended inside a JSON object");
  }
  return absl::OkStatus();
}

}  // namespace keel::rest
