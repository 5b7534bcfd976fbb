// A minimal blocking HTTP/1.0 GET for tests that scrape /metrics (no client library needed
// for one request to loopback).
#ifndef KEEL_OBSERVABILITY_HTTP_GET_H_
#define KEEL_OBSERVABILITY_HTTP_GET_H_

#include <chrono>
#include <string>

#include "absl/status/statusor.h"

namespace keel::observability {

struct HttpResponse {
  int status_code = 0;
  std::string headers;  // the status line and headers, as received
  std::string body;
};

// GET http://`host`:`port``path` (host is a numeric IPv4 address), waiting at most `timeout`
// for each socket operation. Unavailable when the connection fails or times out.
absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     std::chrono::milliseconds timeout);

}  // namespace keel::observability

#endif  // KEEL_OBSERVABILITY_HTTP_GET_H_
