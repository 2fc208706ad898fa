#include "partition/db_name.h"

#include <string_view>

namespace tt {
namespace {

struct KindAlias {
  std::string_view alias;
  DbKind kind;
};

// File extensions PolyDB recognises, without the dot.
constexpr KindAlias kExtensions[] = {
    {"kcph", DbKind::kProtoHash}, {"phdb", DbKind::kProtoHash}, {"kcpt", DbKind::kProtoTree},
    {"ptdb", DbKind::kProtoTree}, {"kcs", DbKind::kStash},      {"sdb", DbKind::kStash},
    {"kcc", DbKind::kCacheHash},  {"cdb", DbKind::kCacheHash},  {"kcg", DbKind::kGrassTree},
    {"gdb", DbKind::kGrassTree},  {"kch", DbKind::kHashFile},   {"hdb", DbKind::kHashFile},
    {"kct", DbKind::kTreeFile},   {"tdb", DbKind::kTreeFile},   {"kcd", DbKind::kDirHash},
    {"ddb", DbKind::kDirHash},    {"kcf", DbKind::kDirTree},    {"fdb", DbKind::kDirTree},
    {"kcx", DbKind::kText},       {"xdb", DbKind::kText},       {"txt", DbKind::kText},
    {"text", DbKind::kText},      {"tsv", DbKind::kText},       {"csv", DbKind::kText},
};

// Values PolyDB accepts for `#type=`.
constexpr KindAlias kTypeValues[] = {
    {"-", DbKind::kProtoHash},     {"kcph", DbKind::kProtoHash},  {"phdb", DbKind::kProtoHash},
    {"phash", DbKind::kProtoHash}, {"+", DbKind::kProtoTree},     {"kcpt", DbKind::kProtoTree},
    {"ptdb", DbKind::kProtoTree},  {"ptree", DbKind::kProtoTree}, {":", DbKind::kStash},
    {"kcs", DbKind::kStash},       {"sdb", DbKind::kStash},       {"stash", DbKind::kStash},
    {"*", DbKind::kCacheHash},     {"kcc", DbKind::kCacheHash},   {"cdb", DbKind::kCacheHash},
    {"cache", DbKind::kCacheHash}, {"%", DbKind::kGrassTree},     {"kcg", DbKind::kGrassTree},
    {"gdb", DbKind::kGrassTree},   {"grass", DbKind::kGrassTree}, {"kch", DbKind::kHashFile},
    {"hdb", DbKind::kHashFile},    {"hash", DbKind::kHashFile},   {"kct", DbKind::kTreeFile},
    {"tdb", DbKind::kTreeFile},    {"tree", DbKind::kTreeFile},   {"kcd", DbKind::kDirHash},
    {"ddb", DbKind::kDirHash},     {"dir", DbKind::kDirHash},     {"directory", DbKind::kDirHash},
    {"kcf", DbKind::kDirTree},     {"fdb", DbKind::kDirTree},     {"for", DbKind::kDirTree},
    {"forest", DbKind::kDirTree},  {"kcx", DbKind::kText},        {"xdb", DbKind::kText},
    {"txt", DbKind::kText},        {"text", DbKind::kText},
};

template <size_t N>
DbKind Lookup(const KindAlias (&table)[N], std::string_view alias) {
  for (const KindAlias& entry : table) {
    if (entry.alias == alias) return entry.kind;
  }
  return DbKind::kUnknown;
}

DbKind KindOfPath(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') + 1);  // npos + 1 == 0
  if (base == "-") return DbKind::kProtoHash;
  if (base == "+") return DbKind::kProtoTree;
  if (base == ":") return DbKind::kStash;
  if (base == "*") return DbKind::kCacheHash;
  if (base == "%") return DbKind::kGrassTree;
  size_t dot = base.rfind('.');
  if (dot == std::string_view::npos) return DbKind::kUnknown;
  return Lookup(kExtensions, base.substr(dot + 1));
}

}  // namespace

DbName ParseDbName(std::string_view name) {
  DbName parsed;
  size_t hash = name.find('#');
  parsed.path = std::string(name.substr(0, hash));
  if (hash != std::string_view::npos) parsed.tuning = std::string(name.substr(hash));

  std::string_view path = parsed.path;
  size_t base = path.rfind('/') + 1;  // npos + 1 == 0
  size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && dot >= base) parsed.ext = std::string(path.substr(dot));

  parsed.kind = KindOfPath(path);
  std::string_view rest = parsed.tuning;
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '#'
    size_t end = rest.find('#');
    std::string_view param = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    size_t eq = param.find('=');
    if (eq == std::string_view::npos || param.substr(0, eq) != "type") continue;
    // PolyDB ignores a type value it does not know, keeping the path's kind.
    std::string_view value = param.substr(eq + 1);
    value = value.substr(0, value.find('='));
    DbKind kind = Lookup(kTypeValues, value);
    if (kind != DbKind::kUnknown) parsed.kind = kind;
  }
  return parsed;
}

bool IsInMemoryKind(DbKind kind) {
  switch (kind) {
    case DbKind::kCacheHash:
    case DbKind::kProtoHash:
    case DbKind::kStash:
    case DbKind::kGrassTree:
    case DbKind::kProtoTree:
      return true;
    default:
      return false;
  }
}

bool IsOrderedKind(DbKind kind) {
  switch (kind) {
    case DbKind::kGrassTree:
    case DbKind::kProtoTree:
    case DbKind::kTreeFile:
    case DbKind::kDirTree:
      return true;
    default:
      return false;
  }
}

const char* KindTypeName(DbKind kind) {
  switch (kind) {
    case DbKind::kCacheHash:
    case DbKind::kProtoHash:
    case DbKind::kStash:
      return "on-memory hash";
    case DbKind::kGrassTree:
    case DbKind::kProtoTree:
      return "on-memory tree";
    case DbKind::kHashFile:
      return "hash";
    case DbKind::kTreeFile:
      return "B+ tree";
    case DbKind::kDirHash:
      return "directory hash";
    case DbKind::kDirTree:
      return "directory tree";
    case DbKind::kText:
      return "plain text";
    case DbKind::kUnknown:
      break;
  }
  return "void";
}

}  // namespace tt
