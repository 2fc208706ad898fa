#include "client/requests.h"

#include "common/coding.h"
#include "common/tt_double.h"

namespace tt::requests {

namespace {
std::string Header(Command cmd, size_t payload_hint) {
  std::string out;
  out.reserve(2 + payload_hint);
  PutU8(&out, kMagicRequest);
  PutU8(&out, cmd);
  return out;
}
uint32_t Size32(std::string_view s) { return static_cast<uint32_t>(s.size()); }
}  // namespace

std::string KeyValue(Command cmd, std::string_view key, std::string_view value) {
  std::string out = Header(cmd, 8 + key.size() + value.size());
  PutU32(&out, Size32(key));
  PutU32(&out, Size32(value));
  out.append(key);
  out.append(value);
  return out;
}

std::string PutShl(std::string_view key, std::string_view value, int32_t width) {
  std::string out = Header(kCmdPutShl, 12 + key.size() + value.size());
  PutU32(&out, Size32(key));
  PutU32(&out, Size32(value));
  PutU32(&out, static_cast<uint32_t>(width));
  out.append(key);
  out.append(value);
  return out;
}

std::string Key(Command cmd, std::string_view key) {
  std::string out = Header(cmd, 4 + key.size());
  PutLengthPrefixed(&out, key);
  return out;
}

std::string MGet(const std::vector<std::string>& keys) {
  size_t total = 4;
  for (const std::string& k : keys) total += 4 + k.size();
  std::string out = Header(kCmdMget, total);
  PutU32(&out, static_cast<uint32_t>(keys.size()));
  for (const std::string& k : keys) PutLengthPrefixed(&out, k);
  return out;
}

std::string Bare(Command cmd) { return Header(cmd, 0); }

std::string FwmKeys(std::string_view prefix, int32_t max) {
  std::string out = Header(kCmdFwmKeys, 8 + prefix.size());
  PutU32(&out, Size32(prefix));
  PutU32(&out, static_cast<uint32_t>(max));
  out.append(prefix);
  return out;
}

std::string AddInt(std::string_view key, int32_t num) {
  std::string out = Header(kCmdAddInt, 8 + key.size());
  PutU32(&out, Size32(key));
  PutU32(&out, static_cast<uint32_t>(num));
  out.append(key);
  return out;
}

std::string AddDouble(std::string_view key, double num) {
  TtDouble d = EncodeTtDouble(num);
  std::string out = Header(kCmdAddDouble, 20 + key.size());
  PutU32(&out, Size32(key));
  PutU64(&out, static_cast<uint64_t>(d.integ));
  PutU64(&out, static_cast<uint64_t>(d.fract));
  out.append(key);
  return out;
}

std::string Ext(std::string_view name, uint32_t opts, std::string_view key,
                std::string_view value) {
  std::string out = Header(kCmdExt, 16 + name.size() + key.size() + value.size());
  PutU32(&out, Size32(name));
  PutU32(&out, opts);
  PutU32(&out, Size32(key));
  PutU32(&out, Size32(value));
  out.append(name);
  out.append(key);
  out.append(value);
  return out;
}

std::string PathLike(Command cmd, std::string_view text) {
  std::string out = Header(cmd, 4 + text.size());
  PutLengthPrefixed(&out, text);
  return out;
}

std::string Restore(std::string_view path, uint64_t ts, uint32_t opts) {
  std::string out = Header(kCmdRestore, 16 + path.size());
  PutU32(&out, Size32(path));
  PutU64(&out, ts);
  PutU32(&out, opts);
  out.append(path);
  return out;
}

std::string SetMst(std::string_view host, int32_t port, uint64_t ts, uint32_t opts) {
  std::string out = Header(kCmdSetMst, 20 + host.size());
  PutU32(&out, Size32(host));
  PutU32(&out, static_cast<uint32_t>(port));
  PutU64(&out, ts);
  PutU32(&out, opts);
  out.append(host);
  return out;
}

std::string Misc(std::string_view name, const std::vector<std::string>& args, uint32_t opts) {
  size_t total = 12 + name.size();
  for (const std::string& a : args) total += 4 + a.size();
  std::string out = Header(kCmdMisc, total);
  PutU32(&out, Size32(name));
  PutU32(&out, opts);
  PutU32(&out, static_cast<uint32_t>(args.size()));
  out.append(name);
  for (const std::string& a : args) PutLengthPrefixed(&out, a);
  return out;
}

std::string Repl(uint64_t ts, uint32_t sid) {
  std::string out = Header(kCmdRepl, 12);
  PutU64(&out, ts);
  PutU32(&out, sid);
  return out;
}

std::string ReplExtended(uint64_t ts, uint32_t sid, uint32_t flags) {
  std::string out = Header(kCmdReplExt, 16);
  PutU64(&out, ts);
  PutU32(&out, sid);
  PutU32(&out, flags);
  return out;
}

}  // namespace tt::requests
