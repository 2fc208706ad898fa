// Fuzz target: reading update-log files from disk, torn, truncated or
// corrupted (ulog/segment_reader.h, ulog/ulog_reader.h), and the writer's
// repair of a torn tail at open (ulog/ulog_writer.h).
//
//   input := head:u8 size:u16*(files - 1) start:u8 file-bytes
//            files = head % 3 + 1; file i (numbered from 1) takes size_i
//            bytes (big-endian), the last file the rest; start picks
//            UlogReader's start timestamp: 0, or the ts of record start - 1
//            of the files read in order
//
// Checks, file by file: each record read is the file's bytes at its offset
// (re-encoded); the reading ends at a byte that is not 0xC9, at a record
// whose stretch up to the next checksum record does not check out (a
// Corruption error), or at a partial record that reaches the end of the file,
// and asking again gives the same answer. UlogReader returns the records of
// the files from one of them on, in order, those of ts >= start only, and
// stops with Corruption exactly where a file is damaged (also where a file
// that held a checksum record ends in a partial record and a later one
// exists). UlogWriter::Open refuses the newest file
// when it is damaged anywhere but at an end of zeros or a partial record, and
// otherwise leaves it holding whole records only.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/coding.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"
#include "ulog/segment_reader.h"
#include "ulog/ulog_reader.h"
#include "ulog/ulog_writer.h"

namespace {

using tt::DecodeResult;

struct FileReading {
  std::vector<tt::UlogRecord> records;
  bool corrupt = false;             // the reading stopped at damage (a bad byte or checksum)
  bool repairable = true;           // what follows the records is zeros or a partial record
  bool cut_after_checksum = false;  // ends in a partial record after a checksum record
};

// Reads the records of `path` from its start, calling `on_record` with each
// and the offset after it, up to the first answer that is not kOk (returned,
// with *end the offset there, *checksum_failed whether the stretch there did
// not check out, and *saw_checksum whether a checksum record was read).
DecodeResult ReadRecords(const std::string& path,
                         const std::function<void(tt::UlogRecord&, uint64_t)>& on_record,
                         uint64_t* end, size_t* pending, bool* checksum_failed,
                         bool* saw_checksum = nullptr) {
  std::optional<tt::SegmentReader> segment;
  TT_FUZZ_CHECK(tt::SegmentReader::Open(path, &segment).ok());
  tt::UlogRecord record;
  tt::Status error;
  DecodeResult r;
  while ((r = segment->Next(&record, &error)) == DecodeResult::kOk) {
    TT_FUZZ_CHECK(error.ok() && !tt::IsChecksumBody(record.body));
    on_record(record, segment->offset());
  }
  *checksum_failed = !error.ok();
  TT_FUZZ_CHECK(error.ok() ||
                (r == DecodeResult::kCorrupt && error.code() == tt::Status::Code::kCorruption));
  *end = segment->offset();
  *pending = segment->pending();
  if (saw_checksum != nullptr) *saw_checksum = segment->saw_checksum();
  // Nothing changed, so asking again gives the same answer at the same place.
  tt::Status again;
  TT_FUZZ_CHECK(segment->Next(&record, &again) == r && again.ok() == error.ok() &&
                segment->offset() == *end);
  return r;
}

bool OnlyZeros(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// Reads `path`, whose content is `bytes`, and checks the reading.
FileReading ReadSegment(const std::string& path, std::string_view bytes) {
  FileReading reading;
  uint64_t end = 0;
  size_t pending = 0;
  bool checksum_failed = false;
  bool saw_checksum = false;
  const DecodeResult r = ReadRecords(
      path,
      [&](tt::UlogRecord& record, uint64_t record_end) {
        std::string encoded;
        tt::EncodeFileRecord(record, &encoded);
        TT_FUZZ_CHECK(record_end >= encoded.size() && record_end <= bytes.size());
        TT_FUZZ_CHECK(bytes.substr(record_end - encoded.size(), encoded.size()) == encoded);
        reading.records.push_back(std::move(record));
      },
      &end, &pending, &checksum_failed, &saw_checksum);
  TT_FUZZ_CHECK(end <= bytes.size());
  if (r == DecodeResult::kCorrupt) {
    TT_FUZZ_CHECK(end < bytes.size());
    if (checksum_failed) {
      // A whole record (a checksum record, or the first of a stretch that
      // does not check out) is there.
      tt::UlogRecord record;
      size_t consumed = 0;
      TT_FUZZ_CHECK(tt::DecodeFileRecord(bytes.substr(end), &record, &consumed) ==
                    DecodeResult::kOk);
    } else {
      TT_FUZZ_CHECK(static_cast<uint8_t>(bytes[end]) != 0xC9);
    }
    reading.corrupt = true;
    reading.repairable = !checksum_failed && OnlyZeros(bytes.substr(end));
    return reading;
  }
  // A partial record: the rest of the file, shorter than what it announces.
  TT_FUZZ_CHECK(end + pending == bytes.size());
  reading.cut_after_checksum = pending > 0 && saw_checksum;
  const std::string_view tail = bytes.substr(end);
  uint64_t ts = 0;
  uint32_t body_size = 0;
  if (tt::PeekRecordHeader(tail, &ts, &body_size)) {
    TT_FUZZ_CHECK(tail.size() < tt::kRecordHeaderSize + uint64_t{body_size});
  }
  return reading;
}

bool SameRecord(const tt::UlogRecord& a, const tt::UlogRecord& b) {
  return a.ts == b.ts && a.sid == b.sid && a.mid == b.mid && a.body == b.body;
}

// Whether `got` (ending with `corruption` or not) is what a reader starting at
// file `first` returns: the records with ts >= start_ts, up to a bad byte.
bool ReadsFrom(size_t first, const std::vector<FileReading>& files, uint64_t start_ts,
               const std::vector<tt::UlogRecord>& got, bool corruption) {
  size_t next = 0;
  for (size_t i = first; i < files.size(); ++i) {
    for (const tt::UlogRecord& record : files[i].records) {
      if (record.ts < start_ts) continue;
      if (next == got.size() || !SameRecord(record, got[next])) return false;
      ++next;
    }
    if (files[i].corrupt || (files[i].cut_after_checksum && i + 1 < files.size())) {
      return corruption && next == got.size();
    }
  }
  return !corruption && next == got.size();
}

void CheckUlogReader(const std::string& dir, const std::vector<FileReading>& files,
                     uint64_t start_ts) {
  std::unique_ptr<tt::UlogReader> reader;
  TT_FUZZ_CHECK(tt::UlogReader::Open(dir, start_ts, &reader).ok());
  size_t total = 0;
  for (const FileReading& file : files) total += file.records.size();
  std::vector<tt::UlogRecord> got;
  tt::UlogRecord record;
  tt::Status s;
  while ((s = reader->Next(&record)).ok()) {
    TT_FUZZ_CHECK(record.ts >= start_ts && got.size() < total);
    got.push_back(record);
  }
  TT_FUZZ_CHECK(s.IsNotFound() || s.code() == tt::Status::Code::kCorruption);
  const bool corruption = !s.IsNotFound();
  bool matched = false;
  for (size_t first = 0; first < files.size() && !matched; ++first) {
    matched = ReadsFrom(first, files, start_ts, got, corruption);
  }
  TT_FUZZ_CHECK(matched);
}

// Opens a writer on `dir` (repairing the newest file; `files` as read) and
// checks that it refused a damaged file or left whole records only. The
// writer scans the newest file, and the files before it down to the first
// that holds a record (for the newest timestamp): damage in any of them
// makes it refuse.
void CheckRepair(const std::string& dir, const std::vector<FileReading>& files) {
  const uint32_t newest = static_cast<uint32_t>(files.size());
  bool repairable = true;
  for (size_t i = files.size(); i-- > 0;) {
    if (!files[i].repairable) {
      repairable = false;
      break;
    }
    if (!files[i].records.empty()) break;
  }
  tt::TimestampClock clock;
  tt::UlogWriterOptions options;
  options.dir = dir;
  options.clock = &clock;
  std::unique_ptr<tt::UlogWriter> writer;
  const tt::Status opened = tt::UlogWriter::Open(options, &writer);
  if (!repairable) {
    TT_FUZZ_CHECK(opened.code() == tt::Status::Code::kCorruption);
    return;
  }
  if (!opened.ok()) fprintf(stderr, "UlogWriter::Open: %s\n", opened.ToString().c_str());
  TT_FUZZ_CHECK(opened.ok());
  writer.reset();
  uint64_t end = 0;
  size_t pending = 0;
  bool checksum_failed = false;
  const DecodeResult r = ReadRecords(
      tt::UlogFileName(dir, newest),
      [&](tt::UlogRecord& record, uint64_t) { TT_FUZZ_CHECK(record.ts <= clock.Last()); }, &end,
      &pending, &checksum_failed);
  TT_FUZZ_CHECK(r == DecodeResult::kNeedMore && pending == 0 && !checksum_failed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tt::fuzz;
  QuietLogs();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.empty()) return 0;
  const size_t file_count = static_cast<uint8_t>(in[0]) % 3 + 1;
  in.remove_prefix(1);
  if (in.size() < 2 * (file_count - 1) + 1) return 0;
  std::vector<size_t> sizes;
  for (size_t i = 0; i + 1 < file_count; ++i) {
    sizes.push_back(tt::DecodeU16(in.data()));
    in.remove_prefix(2);
  }
  const size_t start = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);

  const std::string dir = ScratchDir() + "/ulog";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<FileReading> files;
  for (size_t i = 0; i < file_count; ++i) {
    const std::string_view bytes = i < sizes.size() ? in.substr(0, sizes[i]) : in;
    in.remove_prefix(bytes.size());
    const std::string path = tt::UlogFileName(dir, static_cast<uint32_t>(i + 1));
    WriteScratchFile(path, bytes);
    files.push_back(ReadSegment(path, bytes));
  }
  uint64_t start_ts = 0;
  size_t index = start;
  for (const FileReading& file : files) {
    if (index == 0) break;
    if (index <= file.records.size()) start_ts = file.records[index - 1].ts;
    index -= std::min(index, file.records.size());
  }
  CheckUlogReader(dir, files, start_ts);
  CheckRepair(dir, files);
  return 0;
}
