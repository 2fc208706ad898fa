#include "tests/chaos/contents.h"

#include <sqlite3.h>

#include <ctime>
#include <memory>

#include "partition/envelope.h"
#include "partition/store.h"
#include "tests/chaos/text_clients.h"

namespace tt::chaos {

bool ReadDatabaseFile(const std::string& db, Contents* out, std::string* error) {
  out->clear();
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = db, .partitions = 1, .read_only = true}, &store);
  if (!s.ok()) {
    *error = "cannot open " + db + ": " + s.ToString();
    return false;
  }
  std::unique_ptr<StoreCursor> cursor = store->NewCursor();
  s = cursor->Jump();
  std::string key, stored;
  while (s.ok() && (s = cursor->Next(&key, &stored)).ok()) {
    ValueMeta meta;
    std::string_view payload;
    if (!DecodeEnvelope(stored, &meta, &payload)) {
      *error = db + ": the value of " + Shorten(key) + " is no envelope";
      return false;
    }
    (*out)[key] = Record{std::string(payload), meta.flags, meta.expires_at};
  }
  if (!s.IsNotFound()) {
    *error = "cannot read " + db + ": " + s.ToString();
    return false;
  }
  return true;
}

bool ReadSqliteMirror(const std::string& path, Contents* out, std::string* error) {
  out->clear();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    *error = "cannot open " + path + ": " + sqlite3_errmsg(db);
    sqlite3_close(db);
    return false;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* stmt = nullptr;
  bool ok = sqlite3_prepare_v2(db, "SELECT key, value, flags, expires_at FROM kv", -1, &stmt,
                               nullptr) == SQLITE_OK;
  int rc = SQLITE_ROW;
  while (ok && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    auto bytes = [&](int column) {
      const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      return std::string(data != nullptr ? data : "", sqlite3_column_bytes(stmt, column));
    };
    (*out)[bytes(0)] = Record{bytes(1), static_cast<uint32_t>(sqlite3_column_int64(stmt, 2)),
                              sqlite3_column_int64(stmt, 3)};
  }
  ok = ok && rc == SQLITE_DONE;
  if (!ok) *error = "cannot read table kv of " + path + ": " + sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok;
}

bool ReadLive(int port, const std::vector<std::string>& keys, Contents* out) {
  out->clear();
  MemcachedText conn(port, 30000);
  if (!conn.usable()) return false;
  for (const std::string& key : keys) {
    bool found = false;
    Record record;
    int64_t ttl = -1;
    if (conn.MetaGet(key, &found, &record.value, &record.flags, &ttl) != Delivery::kReplied) {
      return false;
    }
    if (!found) continue;
    record.expires_at = ttl < 0 ? 0 : time(nullptr) + ttl;
    (*out)[key] = std::move(record);
  }
  return true;
}

std::string Shorten(const std::string& bytes, size_t n) {
  std::string shown;
  for (char c : bytes.substr(0, n)) shown += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (bytes.size() > n) shown += "...(" + std::to_string(bytes.size()) + " bytes)";
  return shown;
}

std::vector<std::string> Differences(const Contents& master, const Contents& replica) {
  std::vector<std::string> found;
  for (const auto& [key, record] : master) {
    auto it = replica.find(key);
    if (it == replica.end()) {
      found.push_back(key + ": missing");
    } else if (it->second.value != record.value) {
      found.push_back(key + ": value " + Shorten(it->second.value) + " where the master has " +
                      Shorten(record.value));
    } else if (it->second.flags != record.flags || it->second.expires_at != record.expires_at) {
      found.push_back(key + ": flags/expiry " + std::to_string(it->second.flags) + "/" +
                      std::to_string(it->second.expires_at) + " where the master has " +
                      std::to_string(record.flags) + "/" + std::to_string(record.expires_at));
    }
  }
  for (const auto& [key, record] : replica) {
    if (master.count(key) == 0)
      found.push_back(key + ": only here (" + Shorten(record.value) + ")");
  }
  return found;
}

}  // namespace tt::chaos
