#include "ulog/ulog_reader.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>

#include "common/logging.h"
#include "ulog/segment_reader.h"

namespace tt {

namespace {

// Clock-skew allowance of the start-file search (ulog-and-replication.md §6).
constexpr uint64_t kSkewAllowanceMicros = 30000000;

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string UlogFileName(const std::string& dir, uint32_t number) {
  char name[32];
  snprintf(name, sizeof name, "/%08u.ulog", number);
  return dir + name;
}

Status ListUlogFiles(const std::string& dir, std::vector<uint32_t>* numbers) {
  numbers->clear();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    return Status::IoError("cannot read update log directory " + dir + ": " + strerror(errno));
  }
  std::set<uint32_t> found;
  constexpr std::string_view kSuffix = ".ulog";
  while (struct dirent* entry = readdir(d)) {
    std::string_view name = entry->d_name;
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    // Leading decimal digits give the number, as the original parses names;
    // the file only counts when its canonical name is the one that exists.
    uint64_t number = 0;
    size_t digits = 0;
    while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9' &&
           number <= UINT32_MAX) {
      number = number * 10 + static_cast<uint64_t>(name[digits] - '0');
      ++digits;
    }
    if (digits == 0 || number == 0 || number > INT32_MAX) continue;
    std::string path = UlogFileName(dir, static_cast<uint32_t>(number));
    if (std::string_view(path).substr(dir.size() + 1) != name) continue;
    if (IsRegularFile(path)) found.insert(static_cast<uint32_t>(number));
  }
  closedir(d);
  numbers->assign(found.begin(), found.end());
  return Status::Ok();
}

class UlogReader::Impl {
 public:
  Impl(std::string dir, uint64_t start_ts, uint32_t file)
      : dir_(std::move(dir)), start_ts_(start_ts), file_(file) {}

  Status Next(UlogRecord* rec) {
    for (;;) {
      if (!segment_) {
        Status s = SegmentReader::Open(UlogFileName(dir_, file_), &segment_);
        if (s.IsNotFound()) {
          // No file with this number (an empty directory, or a gap): go on
          // with a later file if there is one.
          std::optional<uint32_t> next;
          s = FindNextFile(&next);
          if (!s.ok()) return s;
          if (!next) return Status::NotFound("end of update log");
          file_ = *next;
          continue;
        }
        if (!s.ok()) return s;
      }
      Status error;
      DecodeResult r = segment_->Next(rec, &error);
      if (!error.ok()) return error;
      if (r == DecodeResult::kOk) {
        if (rec->ts >= start_ts_) return Status::Ok();
        continue;
      }
      if (r == DecodeResult::kCorrupt) {
        return Status::Corruption("update log " + segment_->path() + ": byte at offset " +
                                  std::to_string(segment_->offset()) +
                                  " does not start a record (0xC9)");
      }
      // End of this file for now.
      if (!next_file_) {
        Status s = FindNextFile(&next_file_);
        if (!s.ok()) return s;
        if (!next_file_) return Status::NotFound("end of update log");
        // The writer finished every record of this file before creating the
        // next one: read once more to get records that landed since.
        continue;
      }
      if (segment_->pending() > 0 && segment_->saw_checksum()) {
        // Our writer ends a file with a checksum record before it starts
        // the next one: a record cut short there is damage, not a crash.
        return Status::Corruption(
            "update log " + segment_->path() + ": the " + std::to_string(segment_->pending()) +
            " bytes at offset " + std::to_string(segment_->offset()) +
            " are not a whole record, yet a later file exists: the file was changed on disk");
      }
      if (segment_->pending() > 0) {
        LogError("update log ", segment_->path(), ": skipping ", segment_->pending(),
                 " bytes of an incomplete record at its end");
      }
      file_ = *next_file_;
      next_file_.reset();
      segment_.reset();
    }
  }

 private:
  // The lowest-numbered existing file after file_, if any. Rotation always
  // creates file_ + 1, so that is checked first without listing the directory.
  Status FindNextFile(std::optional<uint32_t>* next) {
    next->reset();
    if (IsRegularFile(UlogFileName(dir_, file_ + 1))) {
      *next = file_ + 1;
      return Status::Ok();
    }
    std::vector<uint32_t> numbers;
    Status s = ListUlogFiles(dir_, &numbers);
    if (!s.ok()) return s;
    auto it = std::upper_bound(numbers.begin(), numbers.end(), file_);
    if (it != numbers.end()) *next = *it;
    return Status::Ok();
  }

  const std::string dir_;
  const uint64_t start_ts_;
  uint32_t file_;
  std::optional<SegmentReader> segment_;
  std::optional<uint32_t> next_file_;  // set once a later file is known to exist
};

Status UlogReader::Open(const std::string& dir, uint64_t start_ts,
                        std::unique_ptr<UlogReader>* reader) {
  std::vector<uint32_t> numbers;
  Status s = ListUlogFiles(dir, &numbers);
  if (!s.ok()) return s;
  const uint64_t bound = start_ts > kSkewAllowanceMicros ? start_ts - kSkewAllowanceMicros : 0;
  // Walk back from the newest file to the last one whose first record is at
  // or before `bound`; an empty file counts as infinitely late.
  uint32_t start = 1;
  const uint32_t newest = numbers.empty() ? 1 : numbers.back();
  for (uint32_t i = newest; i >= 1; --i) {
    std::optional<uint64_t> first_ts;
    if (!ReadFirstTimestamp(UlogFileName(dir, i), &first_ts).ok()) break;
    start = i;
    if (first_ts && bound >= *first_ts) break;
  }
  reader->reset(new UlogReader());
  (*reader)->impl_ = std::make_unique<Impl>(dir, start_ts, start);
  return Status::Ok();
}

UlogReader::~UlogReader() = default;

Status UlogReader::Next(UlogRecord* rec) { return impl_->Next(rec); }

}  // namespace tt
