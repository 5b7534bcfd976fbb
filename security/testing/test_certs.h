// Certificates made at test time with OpenSSL (no committed keys that expire): a throwaway CA
// and leaf certificates it issues, each valid for 127.0.0.1 and localhost (SAN), for both
// server and client use. EC P-256 keys, so making one costs well under a millisecond.
#ifndef KEEL_SECURITY_TESTING_TEST_CERTS_H_
#define KEEL_SECURITY_TESTING_TEST_CERTS_H_

#include <cstdint>
#include <memory>
#include <string>

namespace keel::security::testing {

struct TestKeyPair {
  std::string certificate_pem;
  std::string key_pem;
};

class TestCa {
 public:
  explicit TestCa(const std::string& cn);
  ~TestCa();

  const std::string& certificate_pem() const { return self_.certificate_pem; }
  // A certificate for subject CN=`cn`,O=Keel Test valid from now+not_before_s to
  // now+not_after_s (negative: in the past).
  TestKeyPair Issue(const std::string& cn, int64_t not_before_s = -3600,
                    int64_t not_after_s = 86400) const;

 private:
  TestKeyPair self_;
};

// Writes `data` to `path` atomically (tests only; aborts on failure).
void WriteTestFile(const std::string& path, const std::string& data);

}  // namespace keel::security::testing

#endif  // KEEL_SECURITY_TESTING_TEST_CERTS_H_
