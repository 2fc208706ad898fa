#include "partition/poly_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <kcpolydb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "partition/db_name.h"
#include "partition/map_reserve.h"
#include "partition/partition_hash.h"

namespace tt {

namespace kc = kyotocabinet;

struct PolyStore::Partitions {
  DbName name;
  std::string display_name;  // the name as the user gave it, for messages
  std::vector<std::unique_ptr<kc::PolyDB>> dbs;
  std::vector<std::string> files;        // partition file names inside the directory (N > 1, files)
  kc::Comparator* comparator = nullptr;  // key order of ordered kinds
  std::atomic<bool> closed{false};
  std::atomic<uint32_t> last_failed{0};  // partition of the latest failure, for LastError

  uint32_t size() const { return static_cast<uint32_t>(dbs.size()); }
  bool ordered() const { return IsOrderedKind(name.kind); }
  bool in_memory() const { return IsInMemoryKind(name.kind); }
  uint32_t IndexOf(std::string_view key) const {
    return dbs.size() == 1 ? 0 : PartitionOf(key, size());
  }
  bool Less(std::string_view a, std::string_view b) const {
    return comparator->compare(a.data(), a.size(), b.data(), b.size()) < 0;
  }
  Status ClosedError() const { return Status::Failed("database " + display_name + " is closed"); }
  // The Status for a failure of partition `i`: NotFound for a missing record,
  // else an IoError saying what failed and Kyoto Cabinet's reason.
  Status Failure(uint32_t i, const std::string& what) {
    last_failed.store(i, std::memory_order_relaxed);
    const kc::BasicDB::Error error = dbs[i]->error();
    if (error.code() == kc::BasicDB::Error::NOREC) return Status::NotFound(error.message());
    return Status::IoError(what + " failed on " + display_name + ": " + error.name() + ": " +
                           error.message());
  }
  // Runs `op`, which calls into the Kyoto Cabinet databases. What the library
  // throws there (std::bad_alloc when a damaged record claims a huge size)
  // becomes Corruption rather than escaping into the caller's thread.
  template <typename Op>
  Status Guarded(const std::string& what, Op&& op) {
    try {
      return op();
    } catch (const std::exception& e) {
      return Status::Corruption(what + " failed on " + display_name +
                                ": the storage library threw " + e.what() +
                                "; the database file may be damaged: restart the server, which "
                                "rebuilds a damaged database from its update log");
    }
  }
  // ---- the disk blocks under Kyoto Cabinet's memory map (partition/map_reserve.h) ----
  // A file database writes through its map only into reserved blocks: a
  // write that could grow the file runs only while its partition's region is
  // reserved, and fails otherwise (the disk is full). Kyoto Cabinet gives the
  // blocks back at every synchronize, copy and clear, which truncate the file
  // (another process may take them meanwhile), so they are reserved again
  // after each. A hash file grows only in set; its writers wait while such a
  // call runs. A tree file grows when its page cache is written out: in those
  // calls, and in any call once the cache is over its capacity (64 MiB by
  // default), which can still meet an unreserved page.
  struct MapSpace {
    std::shared_mutex grow;  // shared: a hash file's set; exclusive: a truncating call
    std::atomic<bool> reserved{false};
  };
  bool mapped() const { return name.kind == DbKind::kHashFile || name.kind == DbKind::kTreeFile; }
  // Reserves partition i's region. REQUIRES: maps[i]->grow held exclusively
  // (or no other thread uses the partition yet).
  Status ReserveLocked(uint32_t i) {
    if (!mapped() || read_only) return Status::Ok();
    std::map<std::string, std::string> status;
    if (!dbs[i]->status(&status)) return Failure(i, "status");
    Status s = ReserveMappedRegion(status["path"], std::atoll(status["msiz"].c_str()));
    maps[i]->reserved.store(s.ok(), std::memory_order_release);
    return s;
  }
  std::unique_lock<std::shared_mutex> ExclusiveGrowLock(uint32_t i) {
    if (name.kind != DbKind::kHashFile) return {};
    return std::unique_lock(maps[i]->grow);
  }
  // Runs `call` (a Kyoto Cabinet call that truncates partition i's file)
  // with the region reserved before it and again after it, failed or not.
  template <typename Call>
  Status Truncating(uint32_t i, const std::string& what, Call call) {
    auto lock = ExclusiveGrowLock(i);
    if (!maps[i]->reserved.load(std::memory_order_acquire)) {
      Status s = ReserveLocked(i);
      if (!s.ok()) return s;
    }
    const Status failed = call() ? Status::Ok() : Failure(i, what);
    Status s = ReserveLocked(i);
    return failed.ok() ? s : failed;
  }
  Status EnsureReserved(uint32_t i) {
    auto lock = ExclusiveGrowLock(i);
    if (maps[i]->reserved.load(std::memory_order_acquire)) return Status::Ok();
    return ReserveLocked(i);
  }
  // Before a write that may grow partition i's file: Ok with the region
  // reserved (and, for a hash file, *grow holding its writers' lock), else
  // why not.
  Status ForGrowth(uint32_t i, std::shared_lock<std::shared_mutex>* grow) {
    if (!mapped() || read_only) return Status::Ok();
    if (!maps[i]->reserved.load(std::memory_order_acquire)) {
      Status s = EnsureReserved(i);
      if (!s.ok()) return s;
    }
    if (name.kind == DbKind::kHashFile) *grow = std::shared_lock(maps[i]->grow);
    // A truncating call may have run between the check and the lock.
    if (maps[i]->reserved.load(std::memory_order_acquire)) return Status::Ok();
    return Status::IoError("database " + display_name +
                           " refuses writes: no disk space is reserved for its memory map (the "
                           "disk was full); free disk space");
  }
  std::vector<std::unique_ptr<MapSpace>> maps;  // one per partition
  bool read_only = false;
};

namespace {

using Partitions = PolyStore::Partitions;

// Partition files are "adbmul-NNN<ext>" (PartitionFileName).
constexpr std::string_view kPartitionFilePrefix = "adbmul-";

bool IsNoRecord(const kc::BasicDB::Error& error) {
  return error.code() == kc::BasicDB::Error::NOREC;
}

// Copies the value out under the record lock, avoiding BasicDB::get's extra
// allocation.
// Hands a record's value to a reader while Kyoto Cabinet holds the record.
class ReadValueVisitor : public kc::DB::Visitor {
 public:
  explicit ReadValueVisitor(const std::function<void(std::string_view)>& reader)
      : reader_(reader) {}
  bool found() const { return found_; }

 private:
  const char* visit_full(const char*, size_t, const char* vbuf, size_t vsiz, size_t*) override {
    reader_(std::string_view(vbuf, vsiz));
    found_ = true;
    return NOP;
  }
  const std::function<void(std::string_view)>& reader_;
  bool found_ = false;
};

// Creates `dir` (mode 0755) unless it already is a directory.
Status EnsureDirectory(const std::string& dir, bool may_create) {
  struct stat st;
  if (stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::InvalidArgument(
        dir +
        " exists and is not a directory, but partition files (adbmul-NNN) go in a "
        "directory of that name: move the file away, or use it without --mul");
  }
  if (errno != ENOENT) {
    return IoErrorFromErrno("cannot inspect " + dir, "check the path and permissions");
  }
  if (!may_create) {
    return Status::NotFound("partition directory " + dir +
                            " does not exist; open it writable once to create it");
  }
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    return IoErrorFromErrno("cannot create directory " + dir,
                            "check that its parent exists and is writable");
  }
  return Status::Ok();
}

// The existing partition files "adbmul-*<ext>" of `dir`, sorted by name.
Status ListPartitionFiles(const std::string& dir, const std::string& ext,
                          std::vector<std::string>* files) {
  files->clear();
  DIR* stream = opendir(dir.c_str());
  if (stream == nullptr) {
    return IoErrorFromErrno("cannot list directory " + dir, "check its permissions");
  }
  while (const dirent* entry = readdir(stream)) {
    std::string_view file = entry->d_name;
    if (file.size() > kPartitionFilePrefix.size() + ext.size() &&
        file.starts_with(kPartitionFilePrefix) && file.ends_with(ext)) {
      files->emplace_back(file);
    }
  }
  closedir(stream);
  std::sort(files->begin(), files->end());
  return Status::Ok();
}

// Prepares directory `dir` to receive fresh copies named `files`: creates it,
// and refuses when it holds other partition files, which a later open would
// count as partitions.
Status PrepareCopyDirectory(const std::string& dir, const std::string& ext,
                            const std::vector<std::string>& files) {
  Status s = EnsureDirectory(dir, /*may_create=*/true);
  if (!s.ok()) return s;
  std::vector<std::string> existing;
  s = ListPartitionFiles(dir, ext, &existing);
  if (!s.ok()) return s;
  for (const std::string& file : existing) {
    if (std::find(files.begin(), files.end(), file) == files.end()) {
      return Status::InvalidArgument("copy destination " + dir + " already holds " + file +
                                     ", which is not one of the copied partitions; remove it "
                                     "or copy to a new directory");
    }
  }
  return Status::Ok();
}

Status CopyFailure(const Status& failure) {
  return Status::IoError(failure.message() +
                         "; check that the destination's directory exists and is writable");
}

std::vector<std::string> NumberedFiles(uint32_t count, std::string_view ext) {
  std::vector<std::string> files;
  for (uint32_t n = 1; n <= count; ++n) files.push_back(PartitionFileName(n, ext));
  return files;
}

// True when `name` is a file kind whose path is a directory of partition files
// (a partitioned store reopened without its partition count).
bool HoldsPartitionFiles(const DbName& name) {
  struct stat st;
  if (IsInMemoryKind(name.kind) || stat(name.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return false;
  }
  std::vector<std::string> files;
  return ListPartitionFiles(name.path, name.ext, &files).ok() && !files.empty();
}

// The partition file names of a partitioned file database: the existing ones
// when there are any (their count wins over `requested`), else new ones.
Status ResolvePartitionFiles(const DbName& name, uint32_t requested, bool read_only,
                             std::vector<std::string>* files) {
  Status s = EnsureDirectory(name.path, !read_only);
  if (!s.ok()) return s;
  s = ListPartitionFiles(name.path, name.ext, files);
  if (!s.ok()) return s;
  if (!files->empty()) {
    // The highest number counts: a partition file that is missing (moved
    // aside as damaged, or lost) is created anew in its place rather than
    // changing which partition every key hashes to.
    uint32_t highest = 0;
    for (const std::string& file : *files) {
      const std::string_view digits = std::string_view(file).substr(
          kPartitionFilePrefix.size(), file.size() - kPartitionFilePrefix.size() - name.ext.size());
      uint32_t number = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
      if (ec == std::errc() && end == digits.data() + digits.size()) {
        highest = std::max(highest, number);
      }
    }
    if (highest > files->size() && highest <= kMaxPartitions) {
      *files = NumberedFiles(highest, name.ext);
    }
    return Status::Ok();
  }
  if (read_only) {
    return Status::NotFound("no partition files adbmul-*" + name.ext + " in " + name.path +
                            "; open it writable once to create them");
  }
  *files = NumberedFiles(requested, name.ext);
  return Status::Ok();
}

// The order the partitions' cursors walk in: each ordered kind's comparator.
kc::Comparator* ComparatorOf(kc::PolyDB* db) {
  kc::BasicDB* inner = db->reveal_inner_db();
  if (auto* tree = dynamic_cast<kc::TreeDB*>(inner)) return tree->rcomp();
  if (auto* grass = dynamic_cast<kc::GrassDB*>(inner)) return grass->rcomp();
  if (auto* forest = dynamic_cast<kc::ForestDB*>(inner)) return forest->rcomp();
  return kc::LEXICALCOMP;  // ProtoTreeDB: a std::map of std::string, i.e. byte order
}

Status OpenPolyDb(const std::string& name, uint32_t mode, std::unique_ptr<kc::PolyDB>* out) {
  auto db = std::make_unique<kc::PolyDB>();
  bool opened = false;
  try {
    opened = db->open(name, mode);
  } catch (const std::exception& e) {
    // Kyoto Cabinet's repair of an unclosed file reads every record; a torn
    // one may claim a size it cannot allocate.
    return Status::Corruption("cannot open database " + name + ": repairing it threw " + e.what() +
                              "; the file is damaged");
  }
  if (!opened) {
    const kc::BasicDB::Error error = db->error();
    // BROKEN: inconsistent sizes or records; INVALID at open: not a database
    // of this kind (bad magic data), i.e. garbage in the file.
    if (error.code() == kc::BasicDB::Error::BROKEN || error.code() == kc::BasicDB::Error::INVALID) {
      return Status::Corruption("cannot open database " + name + ": " + error.name() + ": " +
                                error.message() + "; the file is damaged");
    }
    return Status::IoError("cannot open database " + name + ": " + error.name() + ": " +
                           error.message() +
                           "; check the path and permissions, and that no other process "
                           "has it open");
  }
  *out = std::move(db);
  return Status::Ok();
}

// True when `name` is a Kyoto Cabinet hash or tree file (both are hash-file
// formats) whose header says it was left open or hit a fatal error: Kyoto
// Cabinet then repairs it on open. The header is read before Kyoto Cabinet
// rewrites it: magic "KC\n\0" at offset 0, flags at offset 24 (kchashdb.h
// MOFFFLAGS, FOPEN = 1, FFATAL = 2).
bool KyotoFileWasLeftOpen(const std::string& name) {
  const DbName parsed = ParseDbName(name);
  if (parsed.kind != DbKind::kHashFile && parsed.kind != DbKind::kTreeFile) return false;
  int fd = open(parsed.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char header[25];
  const bool read_whole = pread(fd, header, sizeof header, 0) == sizeof header;
  close(fd);
  constexpr unsigned char kMagic[] = {'K', 'C', '\n', '\0'};
  constexpr unsigned char kOpenOrFatal = 0x03;
  return read_whole && std::equal(std::begin(kMagic), std::end(kMagic), header) &&
         (header[24] & kOpenOrFatal) != 0;
}

// True when the database `name` of a file kind holds nothing yet: its file
// (or directory, for the directory kinds) is absent or empty.
bool HoldsNothingYet(const std::string& name) {
  const std::string path = ParseDbName(name).path;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return true;
  if (S_ISDIR(st.st_mode)) {
    DIR* dir = opendir(path.c_str());
    if (dir == nullptr) return false;
    bool empty = true;
    while (const dirent* entry = readdir(dir)) {
      const std::string_view file = entry->d_name;
      if (file != "." && file != "..") empty = false;
    }
    closedir(dir);
    return empty;
  }
  return st.st_size == 0;
}

// A cursor over every partition. Unordered stores walk the partitions one
// after another; ordered stores merge the partitions' walks by key, holding
// each partition's next record ("head") and yielding the least.
class PolyCursor final : public StoreCursor {
 public:
  explicit PolyCursor(std::shared_ptr<Partitions> parts) : parts_(std::move(parts)) {
    for (auto& db : parts_->dbs) cursors_.emplace_back(db->cursor());
    heads_.resize(cursors_.size());
  }

  Status Jump() override {
    return parts_->Guarded("cursor jump", [&]() -> Status {
      if (parts_->closed.load(std::memory_order_acquire)) return parts_->ClosedError();
      positioned_ = true;
      if (parts_->ordered()) {
        for (uint32_t i = 0; i < cursors_.size(); ++i) {
          Status s = cursors_[i]->jump() ? Fill(i) : Missing(i, "cursor jump");
          if (!s.ok()) return s;
        }
        return Status::Ok();
      }
      current_ = 0;
      return EnterPartition();
    });
  }

  Status Jump(std::string_view key) override {
    return parts_->Guarded("cursor jump", [&]() -> Status {
      if (parts_->closed.load(std::memory_order_acquire)) return parts_->ClosedError();
      positioned_ = true;
      if (parts_->ordered()) {
        bool any = false;
        for (uint32_t i = 0; i < cursors_.size(); ++i) {
          Status s =
              cursors_[i]->jump(key.data(), key.size()) ? Fill(i) : Missing(i, "cursor jump");
          if (!s.ok()) return s;
          any = any || heads_[i].valid;
        }
        return any ? Status::Ok() : Status::NotFound("no key at or after the given key");
      }
      // Walk on from the key's own partition, in the partition order Jump() uses.
      current_ = parts_->IndexOf(key);
      if (cursors_[current_]->jump(key.data(), key.size())) return Status::Ok();
      Status s = parts_->Failure(current_, "cursor jump");
      current_ = cursors_.size();
      return s;
    });
  }

  Status Next(std::string* key, std::string* value) override {
    return parts_->Guarded("cursor read", [&]() -> Status {
      if (parts_->closed.load(std::memory_order_acquire)) return parts_->ClosedError();
      if (!positioned_) {
        Status s = Jump();
        if (!s.ok()) return s;
      }
      return parts_->ordered() ? NextMerged(key, value) : NextSequential(key, value);
    });
  }

 private:
  struct Head {
    bool valid = false;
    std::string key;
    std::string value;
  };

  // Partition i has no (further) record when its cursor failed with "no
  // record"; any other failure is an error.
  Status Missing(uint32_t i, const char* what) {
    heads_[i].valid = false;
    if (IsNoRecord(cursors_[i]->error())) return Status::Ok();
    return parts_->Failure(i, what);
  }

  // Reads partition i's current record into its head and steps past it.
  Status Fill(uint32_t i) {
    Head& head = heads_[i];
    if (cursors_[i]->get(&head.key, &head.value, /*step=*/true)) {
      head.valid = true;
      return Status::Ok();
    }
    return Missing(i, "cursor read");
  }

  // A linear scan for the least head: N is at most 127 and usually a handful,
  // where a heap would cost more than it saves.
  Status NextMerged(std::string* key, std::string* value) {
    int least = -1;
    for (uint32_t i = 0; i < heads_.size(); ++i) {
      if (heads_[i].valid && (least < 0 || parts_->Less(heads_[i].key, heads_[least].key))) {
        least = static_cast<int>(i);
      }
    }
    if (least < 0) return Status::NotFound("end of the database");
    key->swap(heads_[least].key);
    value->swap(heads_[least].value);
    return Fill(static_cast<uint32_t>(least));
  }

  Status NextSequential(std::string* key, std::string* value) {
    while (current_ < cursors_.size()) {
      if (cursors_[current_]->get(key, value, /*step=*/true)) return Status::Ok();
      if (!IsNoRecord(cursors_[current_]->error())) {
        return parts_->Failure(current_, "cursor read");
      }
      ++current_;
      Status s = EnterPartition();
      if (!s.ok()) return s;
    }
    return Status::NotFound("end of the database");
  }

  // Positions the cursor of partition current_ at its first record, skipping
  // empty partitions.
  Status EnterPartition() {
    for (; current_ < cursors_.size(); ++current_) {
      if (cursors_[current_]->jump()) return Status::Ok();
      if (!IsNoRecord(cursors_[current_]->error())) {
        return parts_->Failure(current_, "cursor jump");
      }
    }
    return Status::Ok();
  }

  // Declared first so the Kyoto Cabinet cursors are destroyed before their
  // databases may be.
  std::shared_ptr<Partitions> parts_;
  std::vector<std::unique_ptr<kc::PolyDB::Cursor>> cursors_;
  std::vector<Head> heads_;  // ordered stores
  size_t current_ = 0;       // unordered stores: the partition being walked
  bool positioned_ = false;
};

// Writes every record of `source` into the fresh file database `dest_name`.
Status CopyRecords(kc::PolyDB* source, const std::string& dest_name) {
  std::unique_ptr<kc::PolyDB> dest;
  Status s = OpenPolyDb(
      dest_name,
      kc::BasicDB::OWRITER | kc::BasicDB::OCREATE | kc::BasicDB::OTRUNCATE | kc::BasicDB::OTRYLOCK,
      &dest);
  if (!s.ok()) return s;
  std::unique_ptr<kc::PolyDB::Cursor> cursor(source->cursor());
  std::string key, value;
  bool more = cursor->jump();
  while (more && cursor->get(&key, &value, /*step=*/true)) {
    if (!dest->set(key, value)) {
      return Status::IoError("cannot write to copy " + dest_name + ": " + dest->error().name() +
                             ": " + dest->error().message());
    }
  }
  if (!IsNoRecord(cursor->error()) && cursor->error().code() != kc::BasicDB::Error::SUCCESS) {
    return Status::IoError("cannot read the database being copied: " +
                           std::string(cursor->error().message()));
  }
  if (!dest->close()) {
    return Status::IoError("cannot close copy " + dest_name + ": " + dest->error().message());
  }
  return Status::Ok();
}

}  // namespace

std::string PartitionFileName(uint32_t number, std::string_view ext) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "adbmul-%03u", number);
  return buf + std::string(ext);
}

PolyStore::PolyStore(std::shared_ptr<Partitions> parts) : parts_(std::move(parts)) {}

PolyStore::~PolyStore() {
  if (!parts_->closed.load(std::memory_order_acquire)) Close();
}

Status PolyStore::Open(const StoreOptions& options, std::unique_ptr<PolyStore>* store,
                       StoreOpenReport* report) {
  StoreOpenReport unused;
  if (report == nullptr) report = &unused;
  *report = StoreOpenReport();
  auto parts = std::make_shared<Partitions>();
  parts->name = ParseDbName(options.name);
  parts->display_name = options.name;
  parts->read_only = options.read_only;
  const DbName& name = parts->name;
  if (name.kind == DbKind::kUnknown) {
    return Status::InvalidArgument(
        "cannot open database \"" + options.name +
        "\": unknown kind of database; use *, %, -, +, : or a file name ending in .kch, .kct, "
        ".kcd, .kcf or .kcx (tuning may follow as #name=value)");
  }
  const uint32_t requested = std::clamp<uint32_t>(options.partitions, 1, kMaxPartitions);

  std::vector<std::string> names;
  if (requested == 1 && !HoldsPartitionFiles(name)) {
    names.push_back(options.name);
  } else if (parts->in_memory()) {
    names.assign(requested, options.name);
  } else {
    Status s = ResolvePartitionFiles(name, requested, options.read_only, &parts->files);
    if (!s.ok()) return s;
    for (const std::string& file : parts->files) {
      names.push_back(name.path + "/" + file + name.tuning);
    }
  }

  // OTRYLOCK: a database held by another process fails at once instead of hanging.
  const uint32_t mode =
      (options.read_only ? kc::BasicDB::OREADER : kc::BasicDB::OWRITER | kc::BasicDB::OCREATE) |
      kc::BasicDB::OTRYLOCK;
  std::vector<uint32_t> fresh;
  for (uint32_t i = 0; i < names.size(); ++i) {
    const bool nothing_yet = parts->in_memory() || HoldsNothingYet(names[i]);
    const bool left_open = !options.read_only && KyotoFileWasLeftOpen(names[i]);
    if (left_open && options.empty_left_open) {
      const std::string path = ParseDbName(names[i]).path;
      if (truncate(path.c_str(), 0) != 0) {
        return IoErrorFromErrno("cannot empty " + path +
                                    " (left open) before rebuilding it from the update log",
                                "check its permissions");
      }
    }
    std::unique_ptr<kc::PolyDB> db;
    Status s = OpenPolyDb(names[i], mode, &db);
    if (s.code() == Status::Code::kCorruption) {
      report->damaged = static_cast<int>(i);
      report->damaged_path = ParseDbName(names[i]).path;
    }
    if (!s.ok()) return s;
    if (nothing_yet) fresh.push_back(i);
    if (left_open) report->unclean.push_back(i);
    parts->dbs.push_back(std::move(db));
    parts->maps.push_back(std::make_unique<Partitions::MapSpace>());
    if (!(s = parts->ReserveLocked(parts->size() - 1)).ok()) return s;
  }
  report->fresh = std::move(fresh);
  if (parts->ordered()) parts->comparator = ComparatorOf(parts->dbs[0].get());
  store->reset(new PolyStore(std::move(parts)));
  return Status::Ok();
}

Status PolyStore::Get(std::string_view key, std::string* value) {
  return Read(key, [value](std::string_view stored) { value->assign(stored); });
}

Status PolyStore::Read(std::string_view key,
                       const std::function<void(std::string_view value)>& reader) {
  return parts_->Guarded("get", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    const uint32_t i = parts.IndexOf(key);
    ReadValueVisitor visitor(reader);
    if (!parts.dbs[i]->accept(key.data(), key.size(), &visitor, /*writable=*/false)) {
      return parts.Failure(i, "get");
    }
    if (!visitor.found()) {
      parts.dbs[i]->set_error(kc::BasicDB::Error::NOREC, "no record");
      parts.last_failed.store(i, std::memory_order_relaxed);
      return Status::NotFound("no record");
    }
    return Status::Ok();
  });
}

Status PolyStore::Set(std::string_view key, std::string_view value) {
  return parts_->Guarded("set", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    const uint32_t i = parts.IndexOf(key);
    std::shared_lock<std::shared_mutex> grow;
    Status s = parts.ForGrowth(i, &grow);
    if (!s.ok()) return s;
    if (!parts.dbs[i]->set(key.data(), key.size(), value.data(), value.size())) {
      return parts.Failure(i, "set");
    }
    return Status::Ok();
  });
}

Status PolyStore::Remove(std::string_view key) {
  return parts_->Guarded("remove", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    const uint32_t i = parts.IndexOf(key);
    if (!parts.dbs[i]->remove(key.data(), key.size())) return parts.Failure(i, "remove");
    return Status::Ok();
  });
}

uint64_t PolyStore::Count() {
  if (parts_->closed.load(std::memory_order_acquire)) return 0;
  uint64_t total = 0;
  for (auto& db : parts_->dbs) total += std::max<int64_t>(db->count(), 0);
  return total;
}

uint64_t PolyStore::SizeBytes() {
  if (parts_->closed.load(std::memory_order_acquire)) return 0;
  uint64_t total = 0;
  for (auto& db : parts_->dbs) total += std::max<int64_t>(db->size(), 0);
  return total;
}

Status PolyStore::KeysWithPrefix(std::string_view prefix, int64_t max,
                                 std::vector<std::string>* keys) {
  return parts_->Guarded("prefix search", [&]() -> Status {
    Partitions& parts = *parts_;
    keys->clear();
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    if (max == 0) return Status::Ok();
    const size_t limit = max < 0 ? SIZE_MAX : static_cast<size_t>(max);
    const std::string prefix_string(prefix);
    std::vector<std::string> found;
    for (uint32_t i = 0; i < parts.size(); ++i) {
      // Ordered: every partition may hold some of the globally first `max` keys.
      const int64_t want =
          max < 0 || parts.ordered() ? max : max - static_cast<int64_t>(keys->size());
      if (parts.dbs[i]->match_prefix(prefix_string, &found, want) < 0) {
        return parts.Failure(i, "prefix search");
      }
      keys->insert(keys->end(), std::make_move_iterator(found.begin()),
                   std::make_move_iterator(found.end()));
      if (keys->size() >= limit && !parts.ordered()) break;
    }
    if (parts.ordered() && parts.size() > 1) {
      std::sort(keys->begin(), keys->end(),
                [&parts](const std::string& a, const std::string& b) { return parts.Less(a, b); });
      if (keys->size() > limit) keys->resize(limit);
    }
    return Status::Ok();
  });
}

Status PolyStore::Synchronize(bool hard) {
  Partitions& parts = *parts_;
  if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
  for (uint32_t i = 0; i < parts.size(); ++i) {
    Status s = parts.Truncating(i, "synchronize", [&] { return parts.dbs[i]->synchronize(hard); });
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status PolyStore::Optimize(std::string_view /*params*/) {
  return parts_->Guarded("optimize", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    for (uint32_t i = 0; i < parts.size(); ++i) {
      kc::BasicDB* inner = parts.dbs[i]->reveal_inner_db();
      // DirDB keeps one file per record and has nothing to defragment.
      bool ok = true;
      if (auto* hash = dynamic_cast<kc::HashDB*>(inner)) {
        ok = hash->defrag(0);
      } else if (auto* tree = dynamic_cast<kc::TreeDB*>(inner)) {
        ok = tree->defrag(0);
      } else if (auto* forest = dynamic_cast<kc::ForestDB*>(inner)) {
        ok = forest->defrag(0);
      }
      if (!ok) return parts.Failure(i, "optimize");
    }
    return Status::Ok();
  });
}

Status PolyStore::Clear() {
  return parts_->Guarded("clear", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    // Every partition is attempted even after one fails, so that a partial
    // failure leaves as little behind as possible; the first failure is returned.
    Status first_failure;
    for (uint32_t i = 0; i < parts.size(); ++i) {
      Status s = parts.Truncating(i, "clear", [&] { return parts.dbs[i]->clear(); });
      if (!s.ok() && first_failure.ok()) first_failure = s;
    }
    return first_failure;
  });
}

Status PolyStore::Copy(const std::string& dest) {
  return parts_->Guarded("copy", [&]() -> Status {
    Partitions& parts = *parts_;
    if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
    if (dest.empty()) return Status::InvalidArgument("copy needs a destination path");

    if (parts.in_memory()) {
      const DbName target = ParseDbName(dest);
      if (target.kind == DbKind::kUnknown || IsInMemoryKind(target.kind)) {
        return Status::InvalidArgument("cannot copy in-memory database " + parts.display_name +
                                       " to \"" + dest +
                                       "\": name a database file such as backup.kch or backup.kct");
      }
      if (parts.size() == 1) return CopyRecords(parts.dbs[0].get(), dest);
      const std::vector<std::string> files = NumberedFiles(parts.size(), target.ext);
      Status s = PrepareCopyDirectory(target.path, target.ext, files);
      for (uint32_t i = 0; s.ok() && i < parts.size(); ++i) {
        s = CopyRecords(parts.dbs[i].get(), target.path + "/" + files[i] + target.tuning);
      }
      return s;
    }

    // Kyoto Cabinet copies a file database by synchronizing it (a truncation).
    if (parts.size() == 1) {
      Status s =
          parts.Truncating(0, "copy to " + dest, [&] { return parts.dbs[0]->copy(dest); });
      return s.ok() ? s : CopyFailure(s);
    }
    Status s = PrepareCopyDirectory(dest, parts.name.ext, parts.files);
    if (!s.ok()) return s;
    for (uint32_t i = 0; i < parts.size(); ++i) {
      s = parts.Truncating(i, "copy to " + dest,
                           [&] { return parts.dbs[i]->copy(dest + "/" + parts.files[i]); });
      if (!s.ok()) return CopyFailure(s);
    }
    return Status::Ok();
  });
}

std::unique_ptr<StoreCursor> PolyStore::NewCursor() { return std::make_unique<PolyCursor>(parts_); }

bool PolyStore::IsOrdered() const { return parts_->ordered(); }

bool PolyStore::IsInMemory() const { return parts_->in_memory(); }

std::string PolyStore::TypeName() const {
  return parts_->size() > 1 ? "skeleton" : KindTypeName(parts_->name.kind);
}

std::string PolyStore::Path() const { return parts_->name.path; }

uint32_t PolyStore::PartitionCount() const { return parts_->size(); }

std::string PolyStore::LastError() {
  const uint32_t i = parts_->last_failed.load(std::memory_order_relaxed);
  const kc::BasicDB::Error error = parts_->dbs[i]->error();
  return std::to_string(static_cast<int>(error.code())) + ": " + error.message();
}

uint32_t PolyStore::PartitionIndexOf(std::string_view key) const { return parts_->IndexOf(key); }

Status PolyStore::ClearPartition(uint32_t index) {
  Partitions& parts = *parts_;
  if (parts.closed.load(std::memory_order_acquire)) return parts.ClosedError();
  if (index >= parts.size()) {
    return Status::InvalidArgument("no partition " + std::to_string(index) + " in " +
                                   parts.display_name);
  }
  return parts.Guarded("clear", [&]() -> Status {
    return parts.Truncating(index, "clear", [&] { return parts.dbs[index]->clear(); });
  });
}

Status PolyStore::Close() {
  Partitions& parts = *parts_;
  if (parts.closed.exchange(true, std::memory_order_acq_rel)) return parts.ClosedError();
  // Close the inner databases, not the PolyDB wrappers: PolyDB::close() would
  // delete the inner objects under cursors that may still be alive, while a
  // closed inner database fails their calls and outlives them (it is deleted
  // with the PolyDB, when the last cursor lets go of the partitions).
  Status result;
  for (uint32_t i = 0; i < parts.size(); ++i) {
    if (!parts.dbs[i]->reveal_inner_db()->close() && result.ok()) {
      result = parts.Failure(i, "close");
    }
  }
  return result;
}

Status OpenStore(const StoreOptions& options, std::unique_ptr<Store>* store,
                 StoreOpenReport* report) {
  std::unique_ptr<PolyStore> poly;
  Status s = PolyStore::Open(options, &poly, report);
  if (s.ok()) *store = std::move(poly);
  return s;
}

Status MoveAsideDamaged(const std::string& path, std::string* moved_to) {
  const time_t now = time(nullptr);
  struct tm utc;
  gmtime_r(&now, &utc);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string target = path + ".damaged-" + stamp;
  // Two damaged copies within one second keep apart.
  for (int n = 2; access(target.c_str(), F_OK) == 0; ++n) {
    target = path + ".damaged-" + stamp + "-" + std::to_string(n);
  }
  if (rename(path.c_str(), target.c_str()) != 0) {
    return IoErrorFromErrno("cannot move the damaged database " + path + " to " + target,
                            "check the permissions of its directory");
  }
  // Kyoto Cabinet's write-ahead log belongs to the file it was written for.
  const std::string wal = path + ".wal";
  if (access(wal.c_str(), F_OK) == 0 && rename(wal.c_str(), (target + ".wal").c_str()) != 0) {
    return IoErrorFromErrno("cannot move " + wal + " beside " + target,
                            "move it by hand before restarting");
  }
  *moved_to = target;
  return Status::Ok();
}

}  // namespace tt
