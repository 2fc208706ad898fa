#include "repl/tail/tail_runner.h"

#include <algorithm>
#include <cstdio>

#include "common/args.h"
#include "common/clock.h"
#include "repl/feeder.h"
#include "repl/stream_timing.h"

namespace tt {

namespace {

using Clock = std::chrono::steady_clock;

using namespace stream_timing;

// Batches: each flush is an fsync (checkpoint file, SQLite) or a commit.
constexpr auto kFlushInterval = kSaveInterval;
constexpr uint64_t kFlushRecords = kSaveRecords;
constexpr auto kProgressInterval = std::chrono::seconds(1);

std::string HostPort(const TailRunOptions& options) {
  return options.host + ":" + std::to_string(options.port);
}

// The value of `name` in a `stat` text ("name TAB value LF" lines).
std::optional<std::string> StatField(const std::string& text, std::string_view name) {
  const std::string lines = "\n" + text;
  const std::string needle = "\n" + std::string(name) + "\t";
  const size_t at = lines.find(needle);
  if (at == std::string::npos) return std::nullopt;
  const size_t begin = at + needle.size();
  return lines.substr(begin, lines.find('\n', begin) - begin);
}

}  // namespace

void TailRunner::Stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  if (session_ != nullptr) session_->Interrupt();
  cv_.notify_all();
}

bool TailRunner::stopping() {
  std::lock_guard lock(mu_);
  return stopping_;
}

void TailRunner::SleepUnlessStopped(double seconds) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::duration<double>(seconds), [this] { return stopping_; });
}

Status TailRunner::Connect(RemoteDB& db) {
  if (options_.tls.has_value()) db.EnableTls(*options_.tls);
  return db.Open(options_.host, options_.port, kConnectTimeoutS);
}

Status TailRunner::ReadEndTimestamp(uint64_t* end_ts) {
  RemoteDB db;
  std::string text;
  Status s = Connect(db);
  if (s.ok()) s = db.Stat(&text);
  if (!s.ok()) {
    return Status::Network("cannot reach the master at " + HostPort(options_) + " (" +
                           s.ToString() + "); check that it runs there and the --port");
  }
  const std::optional<std::string> ulog_ts = StatField(text, "ulog_ts");
  *end_ts = ulog_ts ? static_cast<uint64_t>(std::max<int64_t>(0, ParseDecimalPrefix(*ulog_ts))) : 0;
  return Status::Ok();
}

Status TailRunner::Run() {
  uint64_t position = 0;
  Status s = output_->LoadPosition(&position);
  if (!s.ok()) return s;
  next_ts_ = position > 0 ? position + 1 : options_.start_ts.value_or(1);
  uint64_t end_ts = 0;
  if (options_.stop_at_end) {
    s = ReadEndTimestamp(&end_ts);
    if (!s.ok()) return s;
    // Our master's ulog_ts is its newest record: nothing newer to deliver.
    if (end_ts > 0 && next_ts_ > end_ts) return Status::Ok();
  }
  started_at_ = progress_at_ = last_flush_ = Clock::now();
  double backoff = kMinBackoffS;
  bool failing = false;  // this streak of failures was reported already
  for (;;) {
    bool done = false;
    bool streamed = false;
    s = Session(end_ts, &done, &streamed);
    Status flushed = output_->Flush();
    if (!flushed.ok()) s = flushed;  // the output's failure is the one that stops us
    if (done || stopping()) break;
    // Not retried: the output failed, or --stop-at-end (report, let the user rerun).
    if (!flushed.ok() || s.code() == Status::Code::kIoError || s.code() == Status::Code::kFailed ||
        s.code() == Status::Code::kUnsupported || s.code() == Status::Code::kCorruption ||
        options_.stop_at_end) {
      break;
    }
    if (streamed) {
      backoff = kMinBackoffS;
      failing = false;
    }
    if (!failing) {
      // On a terminal the progress line is cleared first.
      fprintf(stderr, "%stttail: no stream from %s: %s; retrying quietly with backoff\n",
              options_.progress_on_tty ? "\r\033[K" : "", HostPort(options_).c_str(),
              s.ToString().c_str());
      failing = true;
    }
    SleepUnlessStopped(backoff);
    if (stopping()) {
      s = Status::Ok();
      break;
    }
    backoff = std::min(backoff * 2, kMaxBackoffS);
  }
  if (options_.progress) ShowProgress(true);
  return stopping() ? output_->Flush() : s;
}

Status TailRunner::Session(uint64_t end_ts, bool* done, bool* streamed) {
  RemoteDB db;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Ok();
    session_ = &db;
  }
  Status s = Stream(db, end_ts, done, streamed);
  std::lock_guard lock(mu_);
  session_ = nullptr;
  return s;
}

Status TailRunner::Stream(RemoteDB& db, uint64_t end_ts, bool* done, bool* streamed) {
  Status s = Connect(db);
  if (!s.ok()) {
    return Status::Network("cannot connect to the master at " + HostPort(options_) + " (" +
                           s.ToString() + "); check that it runs there and the --port");
  }
  // Our masters offer the extended stream (memcached metadata, acknowledged
  // positions); an original master, or one whose stat is masked, never sees
  // it asked. Without a snapshot the stream starts at tttail's position,
  // and with one (next_ts_ > 1) a log that no longer reaches it is an error.
  std::string stat;
  const bool extended = db.Stat(&stat).ok() && OffersExtendedStream(stat);
  const uint32_t flags = next_ts_ > 1 ? kReplExtNoGap : 0;
  uint32_t master_sid = 0;
  s = extended ? db.ReplStartExtended(next_ts_, options_.sid, flags, &master_sid)
               : db.ReplStart(next_ts_, options_.sid, &master_sid);
  if (!s.ok()) {
    return Status::Network("the master at " + HostPort(options_) +
                           " refused the replication handshake (" + s.ToString() +
                           "): it refuses a --sid equal to its own (use one no server has), and "
                           "every tail when replication is masked (-mask)");
  }
  uint64_t nops = 0;
  bool any_item = false;
  UlogRecord record;
  for (;;) {
    s = MaybeFlush(db, extended);
    if (!s.ok()) return s;
    if (options_.progress && Clock::now() - progress_at_ >= kProgressInterval) {
      ShowProgress(false);
    }
    RemoteDB::ReplItem item = RemoteDB::ReplItem::kNop;
    bool replace = false;
    s = db.ReplNextItem(&item, &record, &replace, kReadTimeoutS);
    if (stopping()) return Status::Ok();
    if (s.IsNotFound()) return LogGap(record.ts);
    if (!s.ok()) {
      if (!any_item) {
        return Status::Network("the master at " + HostPort(options_) +
                               " ended the stream right after the handshake (" + s.ToString() +
                               "): does it run with an update log (-ulog DIR -sid N)?");
      }
      return s;
    }
    any_item = true;
    *streamed = true;
    switch (item) {
      case RemoteDB::ReplItem::kNop:
        caught_up_ = !db.ReplPending();
        // Only what is durable: the master may let its log go up to there.
        if (extended && !(s = Acknowledge(db)).ok()) return s;
        // The first NOP comes at once; the second after all the master had.
        if (options_.stop_at_end && ++nops >= 2) {
          *done = true;
          return FlushAtEnd(db, extended);
        }
        continue;
      case RemoteDB::ReplItem::kRecord:
        break;
      default:
        return Status::Protocol("the master at " + HostPort(options_) +
                                " sent a snapshot, which tttail never asks for");
    }
    caught_up_ = false;
    // Every record the master sends is new: it sends only those from next_ts_
    // on, though an original master's timestamps may repeat or go back
    // within the stream (its clock).
    s = output_->Deliver(record, master_sid);
    if (!s.ok()) return s;
    next_ts_ = std::max(next_ts_, record.ts + 1);
    last_record_ts_ = record.ts;
    ++delivered_;
    if (options_.stop_at_end && end_ts > 0 && record.ts >= end_ts) {
      *done = true;
      return FlushAtEnd(db, extended);
    }
  }
}

Status TailRunner::LogGap(uint64_t oldest_ts) {
  const std::string checkpoint = output_->checkpoint_name();
  return Status::Failed(
      "the master's update log no longer reaches tttail's position: the records from timestamp " +
      std::to_string(next_ts_) + " to " + std::to_string(oldest_ts - 1) +
      " were deleted from it (--ulog-retain or ttulmgr purge; its oldest record is at " +
      std::to_string(oldest_ts) +
      ") and cannot be delivered; rebuild what tttail feeds from a copy of the master (e.g. "
      "tcrmgr copy, after reading ulog_ts from its stat), then " +
      (checkpoint.empty() ? std::string("start tttail with --ts set to")
                          : "set " + checkpoint + " to") +
      " the ulog_ts of that copy; the master keeps its log for the position a tttail "
      "acknowledges under its --sid, so give each tttail a --sid of its own");
}

Status TailRunner::Acknowledge(RemoteDB& db) {
  const std::optional<uint64_t> durable = output_->durable_position();
  if (!durable || *durable == 0) return Status::Ok();
  return db.ReplAck(*durable);
}

Status TailRunner::FlushAtEnd(RemoteDB& db, bool extended) {
  Status s = output_->Flush();
  // A lost acknowledgement only makes the master keep more of its log.
  if (s.ok() && extended) Acknowledge(db);
  return s;
}

Status TailRunner::MaybeFlush(RemoteDB& db, bool extended) {
  const uint64_t pending = output_->unflushed();
  if (pending == 0) return Status::Ok();
  // Flush before waiting for the master, and now and then under a steady stream.
  if (pending < kFlushRecords && Clock::now() - last_flush_ < kFlushInterval && db.ReplPending()) {
    return Status::Ok();
  }
  last_flush_ = Clock::now();
  Status s = output_->Flush();
  return s.ok() && extended ? Acknowledge(db) : s;
}

void TailRunner::ShowProgress(bool final_line) {
  const Clock::time_point now = Clock::now();
  // The last line shows the rate of the whole run, the others of the last second.
  const Clock::time_point since = final_line ? started_at_ : progress_at_;
  const uint64_t count = final_line ? delivered_ : delivered_ - progress_delivered_;
  const double seconds = std::chrono::duration<double>(now - since).count();
  const double rate = seconds > 0 ? static_cast<double>(count) / seconds : 0;
  progress_at_ = now;
  progress_delivered_ = delivered_;
  std::string lag = "-";
  if (caught_up_) {
    lag = "0.0 s";
  } else if (last_record_ts_ > 0) {
    const uint64_t wall = NowMicros();
    char buf[32];
    snprintf(buf, sizeof buf, "%.1f s",
             wall > last_record_ts_ ? static_cast<double>(wall - last_record_ts_) / 1e6 : 0.0);
    lag = buf;
  }
  const char* start = options_.progress_on_tty ? "\r\033[K" : "";
  const char* end = options_.progress_on_tty && !final_line ? "" : "\n";
  fprintf(stderr, "%stttail: %llu records, %.0f records/s, lag %s%s", start,
          static_cast<unsigned long long>(delivered_), rate, lag.c_str(), end);
  fflush(stderr);
}

}  // namespace tt
