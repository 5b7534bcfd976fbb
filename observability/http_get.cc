#include "observability/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel::observability {
namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     std::chrono::milliseconds timeout) {
  Socket socket;
  if (socket.fd() < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    return absl::InvalidArgumentError("not an IPv4 address: " + host);
  }
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", host, ":", port, ": ", strerror(errno)));
  }
  std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host, ":", port, "\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(socket.fd(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  std::string raw;
  char buffer[16384];
  while (true) {
    ssize_t n = ::recv(socket.fd(), buffer, sizeof(buffer), 0);
    if (n == 0) break;  // HTTP/1.0: the server closes after the response
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    raw.append(buffer, static_cast<size_t>(n));
  }
  HttpResponse response;
  size_t end_of_headers = raw.find("\r\n\r\n");
  if (end_of_headers == std::string::npos || raw.compare(0, 5, "HTTP/") != 0) {
    return absl::DataLossError("malformed HTTP response: " + raw.substr(0, 200));
  }
  response.headers = raw.substr(0, end_of_headers);
  response.body = raw.substr(end_of_headers + 4);
  size_t space = response.headers.find(' ');
  if (space == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(response.headers).substr(space + 1, 3),
                        &response.status_code)) {
    return absl::DataLossError("malformed HTTP status line: " + response.headers.substr(0, 100));
  }
  return response;
}

}  // namespace keel::observability
