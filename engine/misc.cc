#include "engine/misc.h"

#include <regex.h>

#include <cstdint>

#include "common/args.h"
#include "common/logging.h"

namespace tt {

namespace {

Status Fail(std::string message) { return Status::Failed(std::move(message)); }

Status MiscPut(Engine& engine, std::string_view name, const std::vector<std::string_view>& args,
               const Origin& origin) {
  if (args.size() < 2) return Fail(std::string(name) + " needs a key and a value");
  if (name == "put") return engine.Put(args[0], args[1], origin);
  if (name == "putkeep") return engine.PutKeep(args[0], args[1], origin);
  return engine.PutCat(args[0], args[1], origin);
}

Status MiscGetPart(Engine& engine, const std::vector<std::string_view>& args,
                   std::vector<std::string>* result) {
  if (args.empty()) return Fail("getpart needs a key");
  std::string value;
  Status s = engine.Get(args[0], &value);
  if (!s.ok()) return s;
  int64_t offset = args.size() > 1 ? std::max<int64_t>(0, ParseDecimalPrefix(args[1])) : 0;
  int64_t length = args.size() > 2 ? ParseDecimalPrefix(args[2]) : -1;
  if (static_cast<uint64_t>(offset) >= value.size()) return Fail("getpart offset beyond the value");
  size_t count = length < 0 ? std::string::npos : static_cast<size_t>(length);
  result->push_back(value.substr(static_cast<size_t>(offset), count));
  return Status::Ok();
}

Status MiscIterNext(Engine& engine, IteratorState* iterator, std::vector<std::string>* result) {
  std::string key, value;
  Status s = iterator->Next(engine, &key, &value);
  if (!s.ok()) return s;
  result->push_back(std::move(key));
  result->push_back(std::move(value));
  return Status::Ok();
}

// regex pattern [max]: keys (as C strings) matching a POSIX extended regex; a
// leading '*' makes it case-insensitive.
Status MiscRegex(Engine& engine, const std::vector<std::string_view>& args,
                 std::vector<std::string>* result) {
  if (args.empty()) return Fail("regex needs a pattern");
  std::string pattern(args[0]);
  int flags = REG_EXTENDED | REG_NOSUB;
  if (!pattern.empty() && pattern[0] == '*') {
    pattern.erase(0, 1);
    flags |= REG_ICASE;
  }
  int64_t max = args.size() > 1 ? ParseDecimalPrefix(args[1]) : 0;
  if (max < 1) max = INT64_MAX;
  regex_t re;
  if (regcomp(&re, pattern.c_str(), flags) != 0) return Fail("the regular expression does not compile");
  auto cursor = engine.NewCursor();
  Status s = cursor->Jump();
  std::string key, value;
  int64_t found = 0;
  while (s.ok() && found < max && cursor->Next(&key, &value).ok()) {
    std::string c_key = key.substr(0, key.find('\0'));
    if (regexec(&re, c_key.c_str(), 0, nullptr, 0) == 0) {
      result->push_back(key);
      result->push_back(value);
      ++found;
    }
  }
  regfree(&re);
  return Status::Ok();
}

// range [begin [max [end]]]: ordered databases only.
Status MiscRange(Engine& engine, const std::vector<std::string_view>& args,
                 std::vector<std::string>* result) {
  if (!engine.store().IsOrdered()) return Fail("range needs an ordered (tree) database");
  auto cursor = engine.NewCursor();
  Status s = args.empty() ? cursor->Jump() : cursor->Jump(args[0]);
  if (!s.ok()) return s.IsNotFound() ? Status::Ok() : s;
  int64_t max = args.size() > 1 ? ParseDecimalPrefix(args[1]) : 0;
  if (max < 1) max = INT64_MAX;
  std::string key, value;
  for (int64_t n = 0; n < max && cursor->Next(&key, &value).ok(); ++n) {
    if (args.size() > 2 && key >= args[2]) break;
    result->push_back(key);
    result->push_back(value);
  }
  return Status::Ok();
}

}  // namespace

Status IteratorState::Init(Engine& engine, const std::string_view* start) {
  cursor = engine.NewCursor();
  return start == nullptr ? cursor->Jump() : cursor->Jump(*start);
}

Status IteratorState::Next(Engine& engine, std::string* key, std::string* payload) {
  if (!cursor) {
    Status s = Init(engine);
    if (!s.ok()) return s;
  }
  return cursor->Next(key, payload);
}

Status RunMisc(Engine& engine, std::string_view name, const std::vector<std::string_view>& args,
               IteratorState* iterator, std::vector<std::string>* result, const Origin& origin,
               size_t result_budget) {
  if (name == "put" || name == "putkeep" || name == "putcat") {
    return MiscPut(engine, name, args, origin);
  }
  if (name == "out") {
    if (args.empty()) return Fail("out needs a key");
    return engine.Out(args[0], origin);
  }
  if (name == "get") {
    if (args.empty()) return Fail("get needs a key");
    std::string value;
    Status s = engine.Get(args[0], &value);
    if (s.ok()) result->push_back(std::move(value));
    return s;
  }
  if (name == "putlist") {
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      Status s = engine.Put(args[i], args[i + 1], origin);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  if (name == "outlist") {
    for (std::string_view key : args) {
      Status s = engine.Out(key, origin);
      if (!s.ok() && !s.IsNotFound()) return s;
    }
    return Status::Ok();
  }
  if (name == "getlist") {
    std::vector<std::pair<std::string, std::string>> found;
    if (!engine.MultiGet(args, &found, result_budget)) {
      LogError("misc getlist reply cut at ", found.size(), " of ", args.size(),
               " keys: it reached the --max-value limit of one reply");
    }
    for (auto& [key, value] : found) {
      result->push_back(std::move(key));
      result->push_back(std::move(value));
    }
    return Status::Ok();
  }
  if (name == "getpart") return MiscGetPart(engine, args, result);
  if (name == "iterinit") return iterator->Init(engine, args.empty() ? nullptr : &args[0]);
  if (name == "iternext") return MiscIterNext(engine, iterator, result);
  if (name == "sync") return engine.Sync(origin);
  if (name == "optimize" || name == "defrag") {
    return engine.Optimize(name == "optimize" && !args.empty() ? args[0] : "", origin);
  }
  if (name == "vanish") return engine.Vanish(origin);
  if (name == "error") {
    result->push_back(engine.store().LastError());
    return Status::Ok();
  }
  if (name == "regex") return MiscRegex(engine, args, result);
  if (name == "range") return MiscRange(engine, args, result);
  return Fail("no misc function named " + std::string(name) +
              (name == "genuid" || name == "search" || name == "setindex"
                   ? " (it needs a table database, which Kyoto Cabinet does not have)"
                   : ""));
}

bool IsSlowMisc(std::string_view name) {
  return name == "sync" || name == "optimize" || name == "vanish" || name == "defrag" ||
         name == "regex" || name == "range";
}

}  // namespace tt
