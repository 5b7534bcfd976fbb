#include "security/principal.h"

#include <cctype>

#include "absl/strings/str_cat.h"

namespace keel::security {
namespace {

// Reads up to the next unescaped '/', unescaping "\/" to "/" (Kafka's rule syntax); other
// backslashes stay for the regex. Advances `pos` past the '/'. False when there is none.
bool ReadUntilSlash(absl::string_view text, size_t* pos, std::string* out) {
  while (*pos < text.size()) {
    char c = text[*pos];
    if (c == '\\' && *pos + 1 < text.size() && text[*pos + 1] == '/') {
      out->push_back('/');
      *pos += 2;
      continue;
    }
    ++*pos;
    if (c == '/') return true;
    out->push_back(c);
  }
  return false;
}

}  // namespace

absl::StatusOr<PrincipalMapper> PrincipalMapper::Parse(absl::string_view rules) {
  PrincipalMapper mapper;
  size_t pos = 0;
  auto skip_separators = [&] {
    while (pos < rules.size() && (rules[pos] == ',' || std::isspace(static_cast<unsigned char>(
                                                          rules[pos])))) {
      ++pos;
    }
  };
  skip_separators();
  while (pos < rules.size()) {
    absl::string_view rest = rules.substr(pos);
    Rule rule;
    if (rest.substr(0, 7) == "DEFAULT") {
      rule.is_default = true;
      pos += 7;
    } else if (rest.substr(0, 5) == "RULE:") {
      pos += 5;
      if (!ReadUntilSlash(rules, &pos, &rule.pattern_text) ||
          !ReadUntilSlash(rules, &pos, &rule.replacement)) {
        return absl::InvalidArgumentError(
            absl::StrCat("ssl.principal.mapping.rules: '", rest,
                         "' is not RULE:pattern/replacement/[LU]"));
      }
      if (pos < rules.size() && (rules[pos] == 'L' || rules[pos] == 'U')) {
        rule.case_change = rules[pos++];
      }
      try {
        rule.pattern = std::regex(rule.pattern_text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return absl::InvalidArgumentError(absl::StrCat("ssl.principal.mapping.rules: pattern '",
                                                       rule.pattern_text, "': ", e.what()));
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "ssl.principal.mapping.rules: expected RULE:... or DEFAULT at '", rest, "'"));
    }
    if (pos < rules.size() && rules[pos] != ',' &&
        !std::isspace(static_cast<unsigned char>(rules[pos]))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ssl.principal.mapping.rules: unexpected text after a rule at '", rules.substr(pos),
          "'"));
    }
    mapper.rules_.push_back(std::move(rule));
    skip_separators();
  }
  if (mapper.rules_.empty()) mapper.rules_.push_back(Rule{.is_default = true});
  return mapper;
}

absl::StatusOr<Principal> PrincipalMapper::Map(const std::string& dn,
                                               const std::string& cn) const {
  for (const Rule& rule : rules_) {
    if (rule.is_default) {
      if (cn.empty()) return absl::UnauthenticatedError("certificate subject has no CN: " + dn);
      return Principal::User(cn);
    }
    if (!std::regex_match(dn, rule.pattern)) continue;
    std::string name = std::regex_replace(dn, rule.pattern, rule.replacement);
    for (char& c : name) {
      if (rule.case_change == 'L') c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (rule.case_change == 'U') c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (name.empty()) {
      return absl::UnauthenticatedError(
          absl::StrCat("rule '", rule.pattern_text, "' mapped ", dn, " to an empty name"));
    }
    return Principal::User(std::move(name));
  }
  return absl::UnauthenticatedError("no ssl.principal.mapping.rules rule matches " + dn);
}

}  // namespace keel::security
