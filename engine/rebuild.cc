#include "engine/rebuild.h"

#include <algorithm>
#include <memory>

#include "common/commands.h"
#include "common/logging.h"
#include "engine/redo.h"

namespace tt {

namespace {

class PartitionFilter {
 public:
  PartitionFilter(Store& store, const std::vector<uint32_t>& partitions)
      : store_(store), partitions_(partitions) {}

  // Applies `record` to the chosen partitions: Reapply for a key of one of
  // them, ClearPartition of each for a vanish. *applied = it changed them.
  Status Apply(Engine& engine, const UlogRecord& record, bool* applied) {
    *applied = false;
    ParsedBody body;
    Status s = ParseBody(record.body, &body);
    if (!s.ok()) return s;
    switch (body.command) {
      case kCmdPut:
      case kRecordPutMeta:
      case kCmdOut:
        if (!Chosen(store_.PartitionIndexOf(body.key))) return Status::Ok();
        break;
      case kCmdVanish:
        for (uint32_t partition : partitions_) {
          if (!(s = store_.ClearPartition(partition)).ok()) return s;
        }
        *applied = true;
        return Status::Ok();
      default:
        break;  // Reapply skips the rest, or refuses what is not ours
    }
    s = engine.Reapply(record);
    *applied = s.ok();
    return s;
  }

 private:
  bool Chosen(uint32_t partition) const {
    return std::find(partitions_.begin(), partitions_.end(), partition) != partitions_.end();
  }

  Store& store_;
  const std::vector<uint32_t>& partitions_;
};

}  // namespace

Status OpenStoreOrMoveAsideDamage(const StoreOptions& options, const std::string& ulog_dir,
                                  std::unique_ptr<Store>* store, OpenedPartitions* opened) {
  *opened = OpenedPartitions();
  // Each pass moves one damaged partition aside; a partition created anew
  // opens, so this ends after at most one pass per partition. A pass that
  // fails has repaired and closed the partitions before the damaged one, so
  // what it found left open is remembered.
  // Why the log cannot rebuild a partition; "" when it can.
  std::string gap;
  if (ulog_dir.empty()) {
    gap = "there is no update log (-ulog) to rebuild it from";
  } else {
    Status found = FindLogGapAfterBase(ulog_dir, /*log_from_start_suffices=*/false, &gap);
    if (!found.ok()) gap = found.ToString();
  }
  // With a log that can rebuild them, partitions left open are emptied
  // before Kyoto Cabinet opens them rather than repaired by it (the server
  // empties and rebuilds them from the log either way; the repair can crash
  // on a file a crash cut short).
  StoreOptions open_options = options;
  open_options.empty_left_open = gap.empty() && !options.read_only;
  for (;;) {
    StoreOpenReport report;
    Status s = OpenStore(open_options, store, &report);
    for (uint32_t partition : report.unclean) {
      if (std::find(opened->unclean.begin(), opened->unclean.end(), partition) ==
          opened->unclean.end()) {
        opened->unclean.push_back(partition);
      }
    }
    if (s.ok()) {
      opened->fresh = std::move(report.fresh);
      return s;
    }
    if (report.damaged < 0) return s;
    if (!gap.empty()) {
      return Status::Corruption(s.message() + ", and it cannot be rebuilt: " + gap + ". Restore " +
                                report.damaged_path +
                                " from a backup or a slave's copy, or move it aside to start "
                                "without its records");
    }
    std::string moved_to;
    Status moved = MoveAsideDamaged(report.damaged_path, &moved_to);
    if (!moved.ok()) return moved;
    LogSystem(s.message(), ": moved to ", moved_to,
              "; the partition is created anew and rebuilt from the update log ", ulog_dir);
  }
}

Status WriteBase(Engine& engine, BaseInfo* info) {
  const std::string& dir = engine.ulog()->dir();
  // The base's ts is known once the snapshot starts; the writer needs it
  // first, so it is opened inside the first call of `emit`, or after an
  // empty walk.
  std::unique_ptr<BaseWriter> writer;
  uint64_t start_ts = 0;
  Status write_status;
  Status s = engine.ReadSnapshot(&start_ts, [&](std::string_view body, uint64_t version) {
    if (writer == nullptr) {
      write_status = BaseWriter::Open(dir, start_ts, engine.sid(), &writer);
      if (!write_status.ok()) return false;
    }
    write_status = writer->Add(body, version);
    return write_status.ok();
  });
  if (!s.ok()) return s;
  if (!write_status.ok()) return write_status;
  if (writer == nullptr && !(s = BaseWriter::Open(dir, start_ts, engine.sid(), &writer)).ok()) {
    return s;
  }
  return writer->Commit(info);
}

Status RebuildPartitions(Engine& engine, const std::vector<uint32_t>& partitions,
                         RebuildCount* count) {
  *count = RebuildCount();
  const std::string& dir = engine.ulog()->dir();
  PartitionFilter filter(engine.store(), partitions);
  uint64_t after_ts = 0;
  std::unique_ptr<BaseReader> base;
  Status s = BaseReader::Open(dir, &base);
  if (s.ok()) {
    after_ts = base->info().ts;
    UlogRecord record;
    while ((s = base->Next(&record)).ok()) {
      bool applied = false;
      if (!(s = filter.Apply(engine, record, &applied)).ok()) {
        return Status::IoError("putting back a value of the base snapshot failed: " + s.ToString());
      }
      if (applied) ++count->base_values;
    }
    if (!s.IsNotFound()) return s;
  } else if (!s.IsNotFound()) {
    return s;
  }

  return ReplayOwnLog(dir, after_ts, "rebuild", [&](const UlogRecord& record) {
    bool applied = false;
    Status put_back = filter.Apply(engine, record, &applied);
    if (put_back.ok() && applied) ++count->log_records;
    return put_back;
  });
}

}  // namespace tt
