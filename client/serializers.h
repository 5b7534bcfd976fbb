// Serializers turn a program's values into record bytes, as Kafka's Serializer<T> does:
// strings as their bytes, JSON (nlohmann) as its compact text, Protobuf messages in their
// binary wire format. Deserializers do the reverse and report bad input as a status.
#ifndef KEEL_CLIENT_SERIALIZERS_H_
#define KEEL_CLIENT_SERIALIZERS_H_

#include <string>

#include <google/protobuf/message_lite.h>
#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace keel::client {

struct StringSerializer {
  std::string operator()(const std::string& value) const { return value; }
};

struct JsonSerializer {
  std::string operator()(const nlohmann::json& value) const { return value.dump(); }
};

struct ProtobufSerializer {
  std::string operator()(const google::protobuf::MessageLite& message) const {
    return message.SerializeAsString();
  }
};

inline absl::StatusOr<nlohmann::json> DeserializeJson(const std::string& bytes) {
  nlohmann::json value = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return absl::InvalidArgumentError(
        absl::StrCat("record value is not valid JSON (", bytes.size(), " bytes)"));
  }
  return value;
}

template <typename Message>
absl::StatusOr<Message> DeserializeProtobuf(const std::string& bytes) {
  Message message;
  if (!message.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(absl::StrCat("record value is not a valid ",
                                                   message.GetTypeName(), " (", bytes.size(),
                                                   " bytes)"));
  }
  return message;
}

}  // namespace keel::client

#endif  // KEEL_CLIENT_SERIALIZERS_H_
