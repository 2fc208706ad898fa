// The Store over N kyotocabinet::PolyDB partitions (design.md §1), laid out
// as Tokyo Tyrant's `-mul` (server-options.md §3):
//
//   partitions == 1   the name is one PolyDB database, opened as given
//   partitions  > 1   file kinds: DIR/adbmul-001<ext> ... DIR/adbmul-NNN<ext>,
//                     DIR = the name's path, <ext> = its suffix from the last '.'
//                     of the final path component, each opened with the name's
//                     '#...' tuning appended; in-memory kinds: N databases
//
// A key lives in partition PartitionOf(key, N). OpenStore() in store.h builds
// one of these.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "partition/store.h"

namespace tt {

// Partition count limit, as the original clamps `-mul`.
inline constexpr uint32_t kMaxPartitions = 127;

// "adbmul-001.kch" for (1, ".kch"): the file name of partition `number` (1-based).
std::string PartitionFileName(uint32_t number, std::string_view ext);

class PolyStore final : public Store {
 public:
  // Opens (creating if absent, unless read_only) the store of `options`.
  // options.partitions is clamped to [1, kMaxPartitions]; when partition files
  // already exist their count wins, even over partitions == 1. Fails with a message naming the
  // database and what to check; see OpenStore() in store.h for `report`.
  static Status Open(const StoreOptions& options, std::unique_ptr<PolyStore>* store,
                     StoreOpenReport* report = nullptr);
  ~PolyStore() override;  // Close()s if still open

  PolyStore(const PolyStore&) = delete;
  PolyStore& operator=(const PolyStore&) = delete;

  Status Get(std::string_view key, std::string* value) override;
  Status Read(std::string_view key,
              const std::function<void(std::string_view value)>& reader) override;
  Status Set(std::string_view key, std::string_view value) override;
  Status Remove(std::string_view key) override;

  uint64_t Count() override;      // 0 once closed
  uint64_t SizeBytes() override;  // 0 once closed
  Status KeysWithPrefix(std::string_view prefix, int64_t max,
                        std::vector<std::string>* keys) override;
  Status Synchronize(bool hard) override;
  // Defragments file databases in place (hash, B+ tree, directory tree); the
  // other kinds (in-memory, directory hash, plain text) need nothing. Kyoto Cabinet cannot
  // re-tune an open database, so `params` is accepted and ignored.
  Status Optimize(std::string_view params) override;
  Status Clear() override;
  // File databases: a consistent hot copy of each partition file (one
  // partition: `dest` is the file; several: `dest` is a directory, created
  // 0755 if absent, holding each partition under its own file name).
  // In-memory databases: `dest` is a file database name (e.g. "backup.kct");
  // it is truncated and every record is written to it, so it can be served
  // directly (several partitions: the -mul layout under dest's path). Records
  // written during the copy may or may not be included.
  Status Copy(const std::string& dest) override;
  // The cursor keeps the partitions' objects alive, so it may outlive Close()
  // and the store (it then fails every call).
  std::unique_ptr<StoreCursor> NewCursor() override;

  bool IsOrdered() const override;
  bool IsInMemory() const override;
  std::string TypeName() const override;  // "skeleton" when partitioned, as the original
  std::string Path() const override;      // the name's path; the directory when partitioned
  uint32_t PartitionCount() const override;
  // "<code>: <message>" of the last failure seen by the calling thread on the
  // partition that failed last (Kyoto Cabinet keeps errors per thread).
  std::string LastError() override;
  uint32_t PartitionIndexOf(std::string_view key) const override;
  Status ClearPartition(uint32_t index) override;

  // Closes every partition. Safe to call concurrently with other calls (they
  // then fail) and more than once (later calls fail).
  Status Close() override;

  struct Partitions;  // shared with cursors; defined in poly_store.cc

 private:
  explicit PolyStore(std::shared_ptr<Partitions> parts);

  std::shared_ptr<Partitions> parts_;
};

}  // namespace tt
