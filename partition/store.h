// The storage interface under the Engine: raw bytes in, raw bytes out. The
// Store knows nothing of envelopes, the update log or locking beyond its own
// thread-safety; the Engine layers those on top (design.md "data path").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tt {

// A walk over every record of a Store, owned by one caller (one per client
// connection: the iterator of design.md §8). Not thread-safe; the Store may be
// modified while a cursor walks it (records may then be seen or missed, but
// the walk never crashes).
class StoreCursor {
 public:
  virtual ~StoreCursor() = default;
  // Positions before the first record.
  virtual Status Jump() = 0;
  // Ordered stores: positions before the first key >= `key` (NotFound if none).
  // Unordered stores: positions at exactly `key` (NotFound if absent).
  virtual Status Jump(std::string_view key) = 0;
  // Returns the next record and advances; NotFound at the end.
  // Ordered stores with several partitions yield keys in global key order.
  virtual Status Next(std::string* key, std::string* value) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // Point operations. Thread-safe.
  virtual Status Get(std::string_view key, std::string* value) = 0;  // NotFound if absent
  // Calls `reader` with the stored bytes of `key`, without copying them; the
  // view is valid only during the call, which runs with the record locked by
  // the storage library: `reader` must not call back into the Store.
  // NotFound if absent.
  virtual Status Read(std::string_view key,
                      const std::function<void(std::string_view value)>& reader) = 0;
  virtual Status Set(std::string_view key, std::string_view value) = 0;
  virtual Status Remove(std::string_view key) = 0;  // NotFound if absent

  // Whole-store operations, spanning every partition. Thread-safe.
  virtual uint64_t Count() = 0;      // records
  virtual uint64_t SizeBytes() = 0;  // file bytes, or memory bytes for in-memory stores
  // Up to `max` keys starting with `prefix` (max < 0 = unlimited), in key order
  // for ordered stores, partition order otherwise.
  virtual Status KeysWithPrefix(std::string_view prefix, int64_t max,
                                std::vector<std::string>* keys) = 0;
  virtual Status Synchronize(bool hard) = 0;  // flush to the OS (hard: and to the device)
  // Rebuilds the files; `params` is a `#name=value...` tuning string or empty.
  virtual Status Optimize(std::string_view params) = 0;
  // Removes every record. Every partition is attempted even if one fails; the
  // first failure is returned.
  virtual Status Clear() = 0;
  // Hot backup to `dest` (a file; a directory of partition files when partitioned).
  virtual Status Copy(const std::string& dest) = 0;
  virtual std::unique_ptr<StoreCursor> NewCursor() = 0;

  // Description, for `stat` and misc.
  virtual bool IsOrdered() const = 0;  // tree databases iterate in key order
  virtual bool IsInMemory() const = 0;
  virtual std::string TypeName() const = 0;  // "hash", "B+ tree", "on-memory hash", ...
  virtual std::string Path() const = 0;
  virtual uint32_t PartitionCount() const = 0;
  // The storage library's last error, as "<code>: <message>" (misc "error").
  virtual std::string LastError() = 0;

  // The partition (0-based, < PartitionCount()) that holds `key`.
  virtual uint32_t PartitionIndexOf(std::string_view key) const = 0;
  // Removes every record of partition `index` alone (rebuilding one damaged
  // partition replays a vanish into it only). Thread-safe.
  virtual Status ClearPartition(uint32_t index) = 0;

  // Flushes and closes; afterwards every call fails. Also done by the destructor.
  virtual Status Close() = 0;
};

struct StoreOptions {
  // Kyoto Cabinet PolyDB name: "casket.kch", "casket.kct#bnum=1000000", "*", "%", ...
  std::string name;
  // Number of partitions (--mul). 1 = the name is one database. N > 1 = the
  // name's path (before the first '#') is a directory of partition files
  // "adbmul-001<ext>" ... as the original lays them out; existing files win over N.
  uint32_t partitions = 1;
  bool read_only = false;
  // A hash or tree file left open (StoreOpenReport::unclean) is emptied
  // before Kyoto Cabinet opens it, instead of repaired by it: for a caller
  // that rebuilds such partitions from its update log anyway. Kyoto
  // Cabinet's repair reads every record through its memory map, and a file
  // cut short by a crash or a full disk made it die of SIGBUS there.
  bool empty_left_open = false;
};

// What opening a store found, for the caller's crash recovery (the update log
// rebuilds partitions that lost their records: engine/rebuild.h).
struct StoreOpenReport {
  // The partitions (0-based) that hold no record because this open created
  // them: no file, an empty file or an empty directory before the open, or
  // a database that lives in memory. Set when the open succeeds.
  std::vector<uint32_t> fresh;
  // The partitions whose file was not closed properly (the server was
  // killed, crashed or lost power with it open), which Kyoto Cabinet
  // repaired on this open. Its repair keeps the records it can read and may
  // drop others, so the caller puts back what its update log says.
  std::vector<uint32_t> unclean;
  // When the open fails with Corruption: the partition whose database Kyoto
  // Cabinet could not open or repair (a damaged or foreign file), and its
  // file or directory, which MoveAsideDamaged() can put aside.
  int damaged = -1;
  std::string damaged_path;
};

// Opens (creating if absent) the store described by `options`. A database
// that Kyoto Cabinet finds damaged (or whose repair throws) fails with
// Corruption and is named in report->damaged*; other failures (permissions,
// a lock held by another process) are IoError. `report` may be null.
Status OpenStore(const StoreOptions& options, std::unique_ptr<Store>* store,
                 StoreOpenReport* report = nullptr);

// Renames the damaged database file or directory `path` (and Kyoto
// Cabinet's write-ahead log beside it, if any) to "<path>.damaged-<UTC
// time>", never deleting it, so that the next open creates a fresh one.
// *moved_to = the new name.
Status MoveAsideDamaged(const std::string& path, std::string* moved_to);

}  // namespace tt
