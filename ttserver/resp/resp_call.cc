#include "ttserver/resp/resp_call.h"

#include <algorithm>
#include <cctype>

#include "common/clock.h"
#include "common/logging.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

int64_t NowMs() { return static_cast<int64_t>(NowMicros() / 1000); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string WrongArity(std::string_view name) {
  return "ERR wrong number of arguments for '" + std::string(name) + "' command";
}

void Call::Error(std::string_view message) { AppendError(out, message); }

void Call::Failed(const Status& s) {
  LogError("RESP ", args[0], " failed: ", s.ToString());
  Error(kStoreFailed);
}

bool Call::WritableKey(std::string_view key) {
  if (key.size() <= context.limits.max_key) return true;
  Error(kKeyTooLarge);
  return false;
}

bool Call::StorableValue(std::string_view value) {
  if (value.size() <= context.limits.max_value) return true;
  Error(kValueTooLarge);
  return false;
}

Status Call::Read(std::string_view key, const Engine::PayloadReader& reader, bool* expired) {
  if (locked == nullptr) return engine().Read(key, reader, expired);
  if (expired != nullptr) *expired = false;
  std::string storage;
  Current current;
  Status s = locked->Read(key, &current, &storage);
  if (!s.ok()) return s;
  if (!current.exists) return Status::NotFound();
  reader(current.payload, current.meta);
  return Status::Ok();
}

Status Call::Mutate(std::string_view key, const Mutation& fn, ValueMeta* written) {
  ValueMeta stored;
  if (written == nullptr) written = &stored;
  written->version = 0;
  Status s = locked == nullptr ? engine().Mutate(key, Origin{}, fn, written)
                               : locked->Mutate(key, fn, written);
  NoteWrite(written->version);
  return s;
}

Status Call::Put(std::string_view key, std::string_view value, const ValueMeta& meta) {
  ValueMeta written;
  Status s = locked == nullptr ? engine().PutWithMeta(key, value, meta, Origin{}, &written)
                               : locked->Set(key, value, meta);
  NoteWrite(written.version);
  return s;
}

Status Call::WithKeys(const std::vector<std::string_view>& keys,
                      const std::function<Status(Engine::LockedKeys&)>& fn) {
  Status s = locked == nullptr ? engine().WithLockedKeys(keys, Origin{}, fn) : fn(*locked);
  NoteWrite();
  return s;
}

void Call::NoteWrite(uint64_t version) {
  if (version == 0) version = engine().LastTimestamp();
  client.last_write_ts = std::max(client.last_write_ts, version);
}

Change ExpiryChange(const Current& current, int64_t expires_at) {
  ValueMeta meta = current.meta;
  meta.expires_at = expires_at;
  meta.cas = current.meta.Cas();  // as memcached's touch, the CAS stays
  return Change::Set(std::string(current.payload), meta);
}

std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string_view>& args) {
  std::vector<std::string_view> keys;
  if (spec.keys.first == 0) return keys;
  const auto words = static_cast<int>(args.size());
  const int last = spec.keys.last < 0 ? words + spec.keys.last : spec.keys.last;
  for (int i = spec.keys.first; i <= last && i < words; i += spec.keys.step) {
    keys.push_back(args[static_cast<size_t>(i)]);
  }
  return keys;
}

}  // namespace tt::resp
