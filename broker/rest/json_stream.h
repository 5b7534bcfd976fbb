// Splits a byte stream of concatenated JSON objects ({"a":1}{"b":2} or one per line, as a
// v3 streaming produce sends them in a chunked body) into one text per top-level object,
// as the bytes arrive. It tracks only braces and strings; each text is then parsed by
// nlohmann::json, which reports any other mistake.
#ifndef KEEL_BROKER_REST_JSON_STREAM_H_
#define KEEL_BROKER_REST_JSON_STREAM_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace keel::rest {

class JsonObjectSplitter {
 public:
  // Appends `bytes`; moves each completed object's text to `out`. InvalidArgument when
  // something other than whitespace stands between objects, or an object exceeds
  // `max_object_bytes`.
  absl::Status Feed(absl::string_view bytes, std::vector<std::string>* out);
  // OK when the stream ended between objects.
  absl::Status Finish() const;

  explicit JsonObjectSplitter(size_t max_object_bytes) : max_object_bytes_(max_object_bytes) {}

 private:
  const size_t max_object_bytes_;
  std::string current_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace keel::rest

#endif  // KEEL_BROKER_REST_JSON_STREAM_H_
