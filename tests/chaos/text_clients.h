// The memcached text protocol and HTTP as the harness's writers speak them
// to ttserver's data port: one blocking connection each, every request
// answered or failed within a deadline.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tests/integration/server_process.h"

namespace tt::chaos {

// How a request ended. kReplied: the server answered (see the reply);
// kLost: the connection broke or closed before the whole answer, so the
// request may or may not have been carried out; kTimedOut: no answer within
// the deadline (the server may still carry it out later).
enum class Delivery { kReplied, kLost, kTimedOut };

// A memcached text-protocol connection. Not thread-safe.
class MemcachedText {
 public:
  // Connects to 127.0.0.1:port; connected() says whether it worked.
  MemcachedText(int port, int timeout_ms);
  // Connected, and the server has not closed the connection since.
  bool usable() const;

  // set key flags exptime: *stored = the server answered STORED.
  Delivery Set(std::string_view key, uint32_t flags, int64_t exptime, std::string_view value,
               bool* stored);
  // incr key delta: *value = the new number, or nullopt when the server
  // answered anything else; *not_found = it answered NOT_FOUND.
  Delivery Incr(std::string_view key, uint64_t delta, std::optional<uint64_t>* value,
                bool* not_found);
  // mg key v f t: *found, and on a hit the value, flags and seconds to live
  // (-1: no expiry).
  Delivery MetaGet(std::string_view key, bool* found, std::string* value, uint32_t* flags,
                   int64_t* ttl);

 private:
  // Sends `request` and reads one line into *line (without CRLF).
  Delivery Line(const std::string& request, std::string* line);
  // Reads `n` bytes plus CRLF into *data.
  Delivery Data(size_t n, std::string* data);

  testing::RawConnection conn_;
  int timeout_ms_;
  std::string pending_;  // bytes received past the last line
};

// An HTTP/1.1 keep-alive connection. Not thread-safe.
class HttpClient {
 public:
  HttpClient(int port, int timeout_ms);
  // Connected, and the server has not closed the connection since.
  bool usable() const;

  // PUT /key with the body `value` (X-TT-PDMODE `pdmode` when not 0: 2 = putcat);
  // *status = the response status.
  Delivery Put(std::string_view key, std::string_view value, int pdmode, int* status);
  // DELETE /key; *status = the response status.
  Delivery Delete(std::string_view key, int* status);

 private:
  Delivery Exchange(const std::string& request, int* status);

  testing::RawConnection conn_;
  int timeout_ms_;
};

}  // namespace tt::chaos
