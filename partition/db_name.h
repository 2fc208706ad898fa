// How a Kyoto Cabinet PolyDB database name is read (server-options.md §2, last
// paragraph), mirroring kyotocabinet::PolyDB::open so that we know the kind of
// database before opening it:
//
//   name  := path ( '#' param '=' value )*
//   path  := [dir '/'] ( '*' | '%' | '-' | '+' | ':' )    in-memory databases
//          | file '.' ext                                  kch kct kcd kcf kcx ...
//
// A `#type=...` parameter overrides the kind the path implies (the last one
// wins), as in PolyDB. Extensions are matched case-sensitively, as in PolyDB.
#pragma once

#include <string>
#include <string_view>

namespace tt {

enum class DbKind {
  kUnknown,    // PolyDB would refuse to open it
  kCacheHash,  // '*', .kcc: CacheDB, on-memory hash with LRU capacity limits
  kProtoHash,  // '-', .kcph: ProtoHashDB
  kStash,      // ':', .kcs: StashDB
  kGrassTree,  // '%', .kcg: GrassDB, on-memory B+ tree
  kProtoTree,  // '+', .kcpt: ProtoTreeDB
  kHashFile,   // .kch: HashDB
  kTreeFile,   // .kct: TreeDB
  kDirHash,    // .kcd: DirDB
  kDirTree,    // .kcf: ForestDB
  kText,       // .kcx, .txt, .tsv, .csv: TextDB
};

struct DbName {
  std::string path;    // everything before the first '#'
  std::string tuning;  // from the first '#' to the end ("" when there is none)
  std::string ext;     // from the last '.' of path's final component (".kch"), or ""
  DbKind kind = DbKind::kUnknown;
};

// Splits `name` into its parts and classifies it. Never fails; an
// unrecognised name has kind kUnknown.
DbName ParseDbName(std::string_view name);

// True for the kinds that live in memory only.
bool IsInMemoryKind(DbKind kind);
// True for the kinds whose iteration follows key order (the tree databases).
bool IsOrderedKind(DbKind kind);
// The stat `type` text: "on-memory hash", "on-memory tree", "hash", "B+ tree",
// "directory hash", "directory tree", "plain text", or "void" for kUnknown.
const char* KindTypeName(DbKind kind);

}  // namespace tt
