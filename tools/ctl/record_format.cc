#include "tools/ctl/record_format.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/escaping.h"

namespace keel::keelctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

nlohmann::json ScalarJson(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_ENUM:
      return (rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f))->name();
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      if (f->type() == FieldDescriptor::TYPE_BYTES) return absl::BytesToHexString(s);
      return s;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageJson(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
  }
  return nullptr;
}

std::string ValueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + ValueText(v[i]);
    return out + "]";
  }
  if (v.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
      out += (first ? "" : " ") + k + "=" + ValueText(item);
      first = false;
    }
    return out + "}";
  }
  return v.dump();
}

}  // namespace

nlohmann::json MessageJson(const Message& message) {
  nlohmann::json out = nlohmann::json::object();
  const auto* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      nlohmann::json list = nlohmann::json::array();
      for (int j = 0; j < r->FieldSize(message, f); ++j) list.push_back(ScalarJson(message, f, j));
      out[f->name()] = list;
    } else if (f->has_presence() && !r->HasField(message, f)) {
      continue;  // an unset optional field or message means "unchanged" / absent
    } else {
      out[f->name()] = ScalarJson(message, f, 0);
    }
  }
  return out;
}

std::string RecordTypeName(const metadata::MetadataRecord& record) {
  const auto* oneof = record.GetDescriptor()->FindOneofByName("record");
  const FieldDescriptor* f = record.GetReflection()->GetOneofFieldDescriptor(record, oneof);
  return f == nullptr ? "EmptyRecord" : f->message_type()->name();
}

nlohmann::json RecordJson(const metadata::MetadataRecord& record) {
  const auto* oneof = record.GetDescriptor()->FindOneofByName("record");
  const FieldDescriptor* f = record.GetReflection()->GetOneofFieldDescriptor(record, oneof);
  nlohmann::json body = f == nullptr ? nlohmann::json::object()
                                     : MessageJson(record.GetReflection()->GetMessage(record, f));
  return {{"Type", RecordTypeName(record)}, {"Record", body}};
}

std::string RecordText(const metadata::MetadataRecord& record) {
  std::string out;
  const nlohmann::json body = RecordJson(record)["Record"];
  for (const auto& [k, v] : body.items()) {
    if (!out.empty()) out += " ";
    out += k + "=" + ValueText(v);
  }
  return out;
}

}  // namespace keel::keelctl
