// Record bodies of every kind for the tttail tests, built from the binary
// protocol's requests (a logged body = the request + a result byte).
#pragma once

#include <string>
#include <vector>

#include "client/requests.h"
#include "common/commands.h"
#include "ulog/record.h"

namespace tt::testing {

// `request` logged with result byte 00 (succeeded) or 01 (failed).
inline std::string Logged(std::string request, bool ok = true) {
  request.push_back(ok ? '\0' : '\1');
  return request;
}

// A misc body: the request without its opts field (ulog-and-replication.md §3).
inline std::string MiscBody(const std::string& name, const std::vector<std::string>& args) {
  std::string request = requests::Misc(name, args, 0);
  request.erase(6, 4);  // C8 90 nsiz [opts] argc ...
  return Logged(request);
}

inline UlogRecord Record(uint64_t ts, std::string body, uint16_t sid = 1) {
  UlogRecord record;
  record.ts = ts;
  record.sid = sid;
  record.body = std::move(body);
  return record;
}

}  // namespace tt::testing
