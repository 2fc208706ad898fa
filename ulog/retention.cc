#include "ulog/retention.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "common/args.h"
#include "common/clock.h"
#include "common/logging.h"
#include "ulog/base_file.h"
#include "ulog/checkpoint.h"
#include "ulog/segment_reader.h"
#include "ulog/slave_registry.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

// Every record of files[i] is older than the returned timestamp (0: it holds
// none); nullopt when nothing bounds them.
std::optional<uint64_t> RecordsEndBefore(const std::vector<UlogFileInfo>& files, size_t i) {
  if (!files[i].first_ts) return 0;
  if (files[i].last_ts) return *files[i].last_ts + 1;
  for (size_t j = i + 1; j < files.size(); ++j) {
    if (files[j].first_ts) return files[j].first_ts;
  }
  return std::nullopt;
}

// The timestamp of the last whole record of `path`; nullopt when it has none.
Status ReadLastTimestamp(const std::string& path, std::optional<uint64_t>* ts) {
  ts->reset();
  std::optional<SegmentReader> segment;
  Status s = SegmentReader::Open(path, &segment);
  if (!s.ok()) return s;
  UlogRecord rec;
  Status error;
  while (segment->Next(&rec, &error) == DecodeResult::kOk) *ts = rec.ts;
  return error;
}

}  // namespace

std::vector<UlogDeletion> PlanUlogRetention(const std::vector<UlogFileInfo>& files,
                                            const RetentionPolicy& policy, uint64_t now_us,
                                            uint64_t keep_from_ts) {
  std::vector<UlogDeletion> plan;
  if (!policy.any()) return plan;
  uint64_t total = 0;
  for (const UlogFileInfo& file : files) total += file.size;
  const double age_us = policy.max_age_s * 1e6;
  const uint64_t age_cutoff =
      static_cast<double>(now_us) > age_us ? now_us - static_cast<uint64_t>(age_us) : 0;
  // The last file is the current one: it always stays.
  for (size_t i = 0; i + 1 < files.size(); ++i) {
    const std::optional<uint64_t> end = RecordsEndBefore(files, i);
    if (!end || *end > keep_from_ts) break;
    std::string reason;
    if (policy.max_age_s > 0 && *end <= age_cutoff) {
      reason = "older than " + FormatDuration(policy.max_age_s);
    } else if (policy.max_bytes > 0 && total > policy.max_bytes) {
      reason = "the files total " + std::to_string(total) + " bytes, over the limit of " +
               std::to_string(policy.max_bytes);
    } else if (policy.before_ts > 0 && *end <= policy.before_ts) {
      reason = "older than ts " + std::to_string(policy.before_ts);
    } else {
      break;
    }
    total -= files[i].size;
    plan.push_back({files[i], *end, std::move(reason)});
  }
  return plan;
}

Status ListUlogFileInfo(const std::string& dir, bool read_last_ts,
                        std::vector<UlogFileInfo>* files) {
  files->clear();
  std::vector<uint32_t> numbers;
  Status s = ListUlogFiles(dir, &numbers);
  if (!s.ok()) return s;
  for (uint32_t number : numbers) {
    UlogFileInfo info;
    info.number = number;
    const std::string path = UlogFileName(dir, number);
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return IoErrorFromErrno("cannot stat " + path);
    info.size = static_cast<uint64_t>(st.st_size);
    if (!(s = ReadFirstTimestamp(path, &info.first_ts)).ok()) return s;
    files->push_back(std::move(info));
  }
  if (!read_last_ts) return Status::Ok();
  // Only the last file with records before the newest needs it: the first
  // timestamp of a later file bounds every other one.
  for (size_t i = files->size(); i-- > 1;) {
    UlogFileInfo& file = (*files)[i - 1];
    if ((*files)[i].first_ts) break;
    if (file.first_ts) return ReadLastTimestamp(UlogFileName(dir, file.number), &file.last_ts);
  }
  return Status::Ok();
}

Status UlogKeepFrom(const std::string& dir, double now_unix, double hold_s, uint64_t* keep_from,
                    uint64_t* without_base) {
  uint64_t checkpoint = 0;
  Status s = ReadCheckpoint(dir, &checkpoint);
  if (!s.ok()) return s;
  std::vector<SlaveAck> slaves;
  if (!(s = ReadSlaveRegistry(dir, &slaves)).ok()) return s;
  std::optional<BaseInfo> base;
  if (!(s = ReadBaseInfo(dir, &base)).ok()) return s;
  const uint64_t others =
      std::min(checkpoint + 1, OldestAcknowledgedNeed(slaves, now_unix - hold_s));
  if (without_base != nullptr) *without_base = others;
  *keep_from = std::min(others, base ? base->ts + 1 : 1);
  return Status::Ok();
}

Status RunUlogRetention(const std::string& dir, const RetentionPolicy& policy, double hold_s,
                        uint64_t also_keep_from, bool read_last_ts, bool dry_run, bool keep_base,
                        RetentionRun* run) {
  *run = RetentionRun();
  // What is needed first, the files second: needs only move forward, and
  // files only gain newer records, so the plan errs on the side of keeping.
  const uint64_t now_us = NowMicros();
  uint64_t without_base = 0;
  Status s = UlogKeepFrom(dir, static_cast<double>(now_us) / 1e6, hold_s, &run->keep_from_ts,
                          &without_base);
  if (!s.ok()) return s;
  without_base = std::min(without_base, also_keep_from);
  const uint64_t with_base = std::min(run->keep_from_ts, also_keep_from);
  run->keep_from_ts = keep_base ? with_base : without_base;
  std::vector<UlogFileInfo> files;
  if (!(s = ListUlogFileInfo(dir, read_last_ts, &files)).ok()) return s;
  run->files_before = files.size();
  for (const UlogFileInfo& file : files) run->bytes_before += file.size;
  std::vector<UlogDeletion> plan = PlanUlogRetention(files, policy, now_us, without_base);
  const size_t deletable_with_base = PlanUlogRetention(files, policy, now_us, with_base).size();
  run->held_by_base = plan.size() - deletable_with_base;
  if (keep_base) plan.resize(deletable_with_base);
  if (dry_run) {
    run->deleted = std::move(plan);
    return Status::Ok();
  }
  for (UlogDeletion& deletion : plan) {
    const std::string path = UlogFileName(dir, deletion.file.number);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return IoErrorFromErrno("cannot delete " + path,
                              "the later files are kept, so that the log has no gap");
    }
    LogInfo("update-log retention deleted ", DescribeUlogFile(deletion), ": ", deletion.reason);
    run->deleted.push_back(std::move(deletion));
  }
  return Status::Ok();
}

Status UlogDiskUsage(const std::string& dir, uint64_t* files, uint64_t* bytes) {
  *files = 0;
  *bytes = 0;
  std::vector<uint32_t> numbers;
  Status s = ListUlogFiles(dir, &numbers);
  if (!s.ok()) return s;
  for (uint32_t number : numbers) {
    struct stat st;
    // A file deleted since the listing (retention) counts as gone.
    if (stat(UlogFileName(dir, number).c_str(), &st) != 0) continue;
    ++*files;
    *bytes += static_cast<uint64_t>(st.st_size);
  }
  return Status::Ok();
}

std::string DescribeUlogFile(const UlogDeletion& deletion) {
  const UlogFileInfo& file = deletion.file;
  char name[32];
  snprintf(name, sizeof name, "%08u.ulog", file.number);
  std::string out = std::string(name) + " (";
  if (!file.first_ts) {
    out += "no records";
  } else if (file.last_ts) {
    out += "ts " + std::to_string(*file.first_ts) + ".." + std::to_string(*file.last_ts);
  } else {
    out += "ts " + std::to_string(*file.first_ts) + " to before " + std::to_string(deletion.end_ts);
  }
  return out + ", " + std::to_string(file.size) + " bytes)";
}

std::optional<double> ParseDuration(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() &&
         ((text[digits] >= '0' && text[digits] <= '9') || text[digits] == '.')) {
    ++digits;
  }
  if (digits == 0 || text.size() - digits > 1) return std::nullopt;
  std::string number(text.substr(0, digits));
  char* end = nullptr;
  double value = std::strtod(number.c_str(), &end);
  if (end != number.c_str() + number.size() || !std::isfinite(value)) return std::nullopt;
  if (digits == text.size()) return value;
  switch (text[digits]) {
    case 's':
      return value;
    case 'm':
      return value * 60;
    case 'h':
      return value * 3600;
    case 'd':
      return value * 86400;
    default:
      return std::nullopt;
  }
}

std::string FormatDuration(double seconds) {
  static constexpr struct {
    double seconds;
    char unit;
  } kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& unit : kUnits) {
    const double count = seconds / unit.seconds;
    if (count >= 1 && count == std::floor(count)) {
      return std::to_string(static_cast<uint64_t>(count)) + unit.unit;
    }
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%gs", seconds);
  return buf;
}

Status ParseRetentionSpec(std::string_view spec, RetentionPolicy* policy) {
  *policy = RetentionPolicy();
  const auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("--ulog-retain: " + why +
                                   "; write age=DURATION and/or size=SIZE, comma-separated, "
                                   "e.g. age=7d,size=10g");
  };
  std::set<std::string_view> seen;
  while (!spec.empty()) {
    const size_t comma = spec.find(',');
    const std::string_view item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view() : spec.substr(comma + 1);
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (eq == std::string_view::npos || (key != "age" && key != "size")) {
      return bad("'" + std::string(item) + "' is neither age=DURATION nor size=SIZE");
    }
    if (!seen.insert(key).second) return bad(std::string(key) + " is given twice");
    const std::string_view value = item.substr(eq + 1);
    if (key == "age") {
      std::optional<double> age = ParseDuration(value);
      if (!age || *age <= 0) {
        return bad("age '" + std::string(value) +
                   "' is not a duration > 0 (a number with s, m, h or d)");
      }
      policy->max_age_s = *age;
    } else {
      std::optional<uint64_t> size = ParseSizeWithSuffix(value);
      if (!size || *size == 0) {
        return bad("size '" + std::string(value) +
                   "' is not a size > 0 (a number with k, m, g, t, p or e)");
      }
      policy->max_bytes = *size;
    }
  }
  if (seen.empty()) return bad("nothing given");
  return Status::Ok();
}

}  // namespace tt
