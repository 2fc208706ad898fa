#include "tests/chaos/text_clients.h"

#include <poll.h>

#include <chrono>
#include <cstdlib>

namespace tt::chaos {

namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point start, int timeout_ms) {
  const auto spent =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return static_cast<int>(std::max<int64_t>(1, timeout_ms - spent));
}

// A failed read within the deadline is a broken connection; one that used
// the deadline up is a timeout.
Delivery Failure(Clock::time_point start, int timeout_ms) {
  const auto spent =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  return spent + 50 >= timeout_ms ? Delivery::kTimedOut : Delivery::kLost;
}

// A connection the server closed (or reset) while we were not asking
// anything: a request sent on it would be lost before it was read.
bool Usable(const testing::RawConnection& conn) {
  if (!conn.connected()) return false;
  pollfd p{conn.fd(), POLLIN | POLLRDHUP, 0};
  return poll(&p, 1, 0) == 0;
}

}  // namespace

MemcachedText::MemcachedText(int port, int timeout_ms) : conn_(port), timeout_ms_(timeout_ms) {}

bool MemcachedText::usable() const { return pending_.empty() && Usable(conn_); }

Delivery MemcachedText::Line(const std::string& request, std::string* line) {
  const Clock::time_point start = Clock::now();
  if (!conn_.Send(request)) return Delivery::kLost;
  size_t end;
  while ((end = pending_.find("\r\n")) == std::string::npos) {
    std::string got = conn_.ReceiveUntil("\r\n", MillisLeft(start, timeout_ms_));
    if (got.empty()) return Failure(start, timeout_ms_);
    pending_ += got;
  }
  *line = pending_.substr(0, end);
  pending_.erase(0, end + 2);
  return Delivery::kReplied;
}

Delivery MemcachedText::Data(size_t n, std::string* data) {
  const Clock::time_point start = Clock::now();
  while (pending_.size() < n + 2) {
    std::string got = conn_.Receive(n + 2 - pending_.size(), MillisLeft(start, timeout_ms_));
    if (got.empty()) return Failure(start, timeout_ms_);
    pending_ += got;
  }
  *data = pending_.substr(0, n);
  pending_.erase(0, n + 2);
  return Delivery::kReplied;
}

Delivery MemcachedText::Set(std::string_view key, uint32_t flags, int64_t exptime,
                            std::string_view value, bool* stored) {
  std::string request = "set " + std::string(key) + " " + std::to_string(flags) + " " +
                        std::to_string(exptime) + " " + std::to_string(value.size()) + "\r\n";
  request.append(value);
  request += "\r\n";
  std::string line;
  Delivery d = Line(request, &line);
  *stored = d == Delivery::kReplied && line == "STORED";
  return d;
}

Delivery MemcachedText::Incr(std::string_view key, uint64_t delta, std::optional<uint64_t>* value,
                             bool* not_found) {
  std::string line;
  Delivery d = Line("incr " + std::string(key) + " " + std::to_string(delta) + "\r\n", &line);
  value->reset();
  *not_found = d == Delivery::kReplied && line == "NOT_FOUND";
  if (d == Delivery::kReplied && !line.empty() &&
      line.find_first_not_of("0123456789") == std::string::npos) {
    *value = std::strtoull(line.c_str(), nullptr, 10);
  }
  return d;
}

Delivery MemcachedText::MetaGet(std::string_view key, bool* found, std::string* value,
                                uint32_t* flags, int64_t* ttl) {
  std::string line;
  Delivery d = Line("mg " + std::string(key) + " v f t\r\n", &line);
  *found = false;
  if (d != Delivery::kReplied || line == "EN") return d;
  // VA <size> f<flags> t<ttl>
  if (line.rfind("VA ", 0) != 0) return Delivery::kLost;
  char* end = nullptr;
  const size_t size = std::strtoull(line.c_str() + 3, &end, 10);
  *flags = 0;
  *ttl = -1;
  for (size_t at = line.find(' ', 3); at != std::string::npos; at = line.find(' ', at + 1)) {
    if (at + 1 >= line.size()) break;
    if (line[at + 1] == 'f')
      *flags = static_cast<uint32_t>(std::strtoul(&line[at + 2], nullptr, 10));
    if (line[at + 1] == 't') *ttl = std::strtoll(&line[at + 2], nullptr, 10);
  }
  d = Data(size, value);
  *found = d == Delivery::kReplied;
  return d;
}

HttpClient::HttpClient(int port, int timeout_ms) : conn_(port), timeout_ms_(timeout_ms) {}

bool HttpClient::usable() const { return Usable(conn_); }

Delivery HttpClient::Exchange(const std::string& request, int* status) {
  const Clock::time_point start = Clock::now();
  *status = 0;
  if (!conn_.Send(request)) return Delivery::kLost;
  std::string got = conn_.ReceiveUntil("\r\n\r\n", timeout_ms_);
  const size_t head_end = got.find("\r\n\r\n");
  if (head_end == std::string::npos) return Failure(start, timeout_ms_);
  if (got.rfind("HTTP/1.1 ", 0) != 0) return Delivery::kLost;
  *status = std::atoi(got.c_str() + 9);
  size_t length = 0;
  for (const char* name : {"\r\nContent-Length: ", "\r\ncontent-length: "}) {
    const size_t at = got.find(name);
    if (at != std::string::npos && at < head_end) {
      length = std::strtoull(got.c_str() + at + std::string_view(name).size(), nullptr, 10);
    }
  }
  const size_t have = got.size() - head_end - 4;
  if (have < length &&
      conn_.Receive(length - have, MillisLeft(start, timeout_ms_)).size() != length - have) {
    return Failure(start, timeout_ms_);
  }
  return Delivery::kReplied;
}

Delivery HttpClient::Put(std::string_view key, std::string_view value, int pdmode, int* status) {
  std::string request = "PUT /" + std::string(key) + " HTTP/1.1\r\nHost: chaos\r\n";
  if (pdmode != 0) request += "X-TT-PDMODE: " + std::to_string(pdmode) + "\r\n";
  request += "Content-Length: " + std::to_string(value.size()) + "\r\n\r\n";
  request.append(value);
  return Exchange(request, status);
}

Delivery HttpClient::Delete(std::string_view key, int* status) {
  return Exchange("DELETE /" + std::string(key) + " HTTP/1.1\r\nHost: chaos\r\n\r\n", status);
}

}  // namespace tt::chaos
