// UlogReader: reads records from an update-log directory, from a timestamp on.
//
// The start file is chosen as the original does (ulog-and-replication.md §6):
// walking back from the newest file, the last one whose first timestamp is
// <= T - 30 s (30 s of clock-skew allowance). Reading then proceeds file by
// file; only records with ts >= T are returned. At the end of the newest file
// Next() reports NotFound, and may be called again later to pick up records
// appended since (a partly written record at the end is left for later).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "ulog/record.h"

namespace tt {

class UlogReader {
 public:
  // Opens `dir` positioned for `start_ts`. IoError if `dir` cannot be read.
  static Status Open(const std::string& dir, uint64_t start_ts, std::unique_ptr<UlogReader>* reader);
  ~UlogReader();

  // Reads the next record with ts >= start_ts. NotFound at the current end of
  // the log; Corruption when a record does not start with 0xC9 (reading stops).
  // Not thread-safe (one reader per consumer).
  Status Next(UlogRecord* rec);

 private:
  UlogReader() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Lists the log files of `dir` as numbers, ascending (only canonical %08d.ulog names).
Status ListUlogFiles(const std::string& dir, std::vector<uint32_t>* numbers);
// DIR/%08d.ulog
std::string UlogFileName(const std::string& dir, uint32_t number);

}  // namespace tt
