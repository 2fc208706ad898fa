// What a server, a replica or the SQLite mirror holds, read exactly: key by
// key the payload, the memcached flags and the absolute expiry.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tt::chaos {

// A key's record: payload, memcached flags, absolute expiry in UNIX seconds
// (0 = none).
struct Record {
  std::string value;
  uint32_t flags = 0;
  int64_t expires_at = 0;
  bool operator==(const Record&) const = default;
};
using Contents = std::map<std::string, Record>;

// Reads every record of the Kyoto Cabinet database `db` (one partition) of a
// stopped ttserver, opened read-only. False (with *error) if it cannot.
bool ReadDatabaseFile(const std::string& db, Contents* out, std::string* error);

// Reads table kv of tttail's SQLite mirror at `path`. False (with *error)
// if it cannot.
bool ReadSqliteMirror(const std::string& path, Contents* out, std::string* error);

// Reads `keys` from the running server on `port` with memcached `mg`: the
// expiry is estimated from the time to live, so it may be off by a second or
// two. False if the connection failed.
bool ReadLive(int port, const std::vector<std::string>& keys, Contents* out);

// The keys on which `replica` differs from `master` (missing, extra, or
// another value, flags or expiry), each with what differs.
std::vector<std::string> Differences(const Contents& master, const Contents& replica);

// At most `n` characters of `bytes`, for a report line.
std::string Shorten(const std::string& bytes, size_t n = 48);

}  // namespace tt::chaos
