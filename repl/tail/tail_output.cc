#include "repl/tail/tail_output.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace tt {

namespace {

class StdoutOutput : public TailOutput {
 public:
  StdoutOutput(TailFormat format, TailEncoding encoding, std::optional<std::string> path)
      : format_(format), encoding_(encoding) {
    if (path) checkpoint_.emplace(std::move(*path));
  }

  Status LoadPosition(uint64_t* ts) override {
    *ts = 0;
    if (!checkpoint_) return Status::Ok();
    Status s = checkpoint_->Load();
    if (s.code() == Status::Code::kCorruption) {
      return Status::Corruption(
          "tttail's checkpoint file " + checkpoint_->path() +
          " (--checkpoint) does not hold a timestamp, so where the output stopped is unknown: "
          "write the timestamp of the last change the output received into it, or remove it to "
          "receive every change the master's log still holds again");
    }
    if (!s.ok()) {
      // RtsFile's message names a slave's file; only its cause is kept.
      const size_t cause = s.message().rfind(": ");
      return Status::IoError(
          "cannot read or create tttail's checkpoint file " + checkpoint_->path() +
          " (--checkpoint): " +
          (cause == std::string::npos ? s.message() : s.message().substr(cause + 2)) + "; " +
          CheckDirectoryOf(checkpoint_->path()));
    }
    *ts = checkpoint_->applied();
    return Status::Ok();
  }

  Status Deliver(const UlogRecord& record, uint32_t master_sid) override {
    if (!failed_.ok()) return failed_;
    const std::string line = FormatTailLine(record, format_, encoding_, master_sid);
    if (fwrite(line.data(), 1, line.size(), stdout) != line.size()) return failed_ = WriteError();
    ++unflushed_;
    if (checkpoint_) checkpoint_->MarkApplied(record.ts);
    return Status::Ok();
  }

  Status Flush() override {
    if (!failed_.ok()) return failed_;
    if (unflushed_ == 0) return Status::Ok();
    // The lines first: the checkpoint must never pass a line not yet written.
    if (fflush(stdout) != 0) return failed_ = WriteError();
    if (checkpoint_) {
      Status s = checkpoint_->Save();
      if (!s.ok()) {
        return failed_ = Status::IoError(
                   "cannot save tttail's checkpoint file " + checkpoint_->path() + " (" +
                   s.message() + "); it stays at " + std::to_string(checkpoint_->saved()) +
                   ", so running tttail again prints the lines after that again; " +
                   CheckDirectoryOf(checkpoint_->path()));
      }
    }
    unflushed_ = 0;
    return Status::Ok();
  }

  uint64_t unflushed() const override { return unflushed_; }
  std::optional<uint64_t> durable_position() const override {
    return checkpoint_ ? std::optional<uint64_t>(checkpoint_->saved()) : std::nullopt;
  }
  std::string checkpoint_name() const override {
    return checkpoint_ ? "the checkpoint file " + checkpoint_->path() : "";
  }

 private:
  static Status WriteError() {
    return Status::IoError(std::string("cannot write to standard output: ") + strerror(errno) +
                           "; the checkpoint covers only the lines flushed before, so running "
                           "tttail again resumes after them");
  }

  TailFormat format_;
  TailEncoding encoding_;
  std::optional<RtsFile> checkpoint_;
  uint64_t unflushed_ = 0;
  Status failed_;  // the first failure; Ok while there was none
};

class SinkOutput : public TailOutput {
 public:
  SinkOutput(std::unique_ptr<Sink> sink, std::string source)
      : sink_(std::move(sink)), source_(std::move(source)) {}
  ~SinkOutput() override { sink_->Rollback(); }

  Status LoadPosition(uint64_t* ts) override {
    Status s = sink_->LoadCheckpoint(source_, ts);
    position_ = committed_ = *ts;
    return s;
  }

  Status Deliver(const UlogRecord& record, uint32_t /*master_sid*/) override {
    if (!failed_.ok()) return failed_;
    Status s = unflushed_ == 0 ? sink_->Begin() : Status::Ok();
    if (s.ok()) {
      ++unflushed_;
      s = ApplyRecordToSink(record, sink_.get());
    }
    if (s.ok()) {
      position_ = std::max(position_, record.ts);
      batch_.push_back(record);
      batch_bytes_ += record.body.size();
      // The batch is kept for CommitBefore: bound its memory.
      return batch_bytes_ >= kMaxBatchBytes ? Flush() : Status::Ok();
    }
    // Never commit part of a record: the batch is rolled back, and what came
    // before the record is committed again without it.
    if (s.code() == Status::Code::kFailed || s.code() == Status::Code::kUnsupported) {
      const std::string why = "cannot apply the record of timestamp " + std::to_string(record.ts) +
                              ": " + s.message() + "; ";
      Status committed = CommitBefore();
      if (!committed.ok()) return Abandon(committed);
      if (record.ts > committed_) {
        return Abandon(
            Status::Failed(why + "skip the record by setting ts to " + std::to_string(record.ts) +
                           " in the tttail_checkpoint row '" + source_ +
                           "' (or fix the table, when it no longer matches the master)"));
      }
      return Abandon(Status::Failed(
          why + "its timestamp is not after the checkpoint (" + std::to_string(committed_) +
          ": the master's clock stepped back), so the checkpoint cannot skip it: fix the table "
          "so that the record applies"));
    }
    if (s.code() == Status::Code::kCorruption) return Abandon(s);
    return Abandon(Status::IoError("the sink failed while applying the records after timestamp " +
                                   std::to_string(committed_) + BatchRolledBack() + ": " +
                                   s.message()));
  }

  Status Flush() override {
    if (!failed_.ok()) return failed_;
    if (unflushed_ == 0) return Status::Ok();
    Status s = sink_->Commit(source_, position_);
    if (!s.ok()) {
      return Abandon(Status::IoError(
          "cannot commit the records after timestamp " + std::to_string(committed_) + " up to " +
          std::to_string(position_) + BatchRolledBack() + ": " + s.message()));
    }
    unflushed_ = 0;
    committed_ = position_;
    batch_.clear();
    batch_bytes_ = 0;
    return Status::Ok();
  }

  uint64_t unflushed() const override { return unflushed_; }
  std::optional<uint64_t> durable_position() const override { return committed_; }
  std::string checkpoint_name() const override {
    return "ts of the tttail_checkpoint row '" + source_ + "'";
  }

 private:
  // A batch is committed once its records hold this many bytes.
  static constexpr size_t kMaxBatchBytes = 16 << 20;

  // After a record of the open batch failed: rolls the batch back and
  // commits the records before that one again, with their checkpoint.
  Status CommitBefore() {
    std::vector<UlogRecord> before = std::move(batch_);
    RollBack();
    for (const UlogRecord& record : before) {
      Status s = Deliver(record, 0);
      if (!s.ok()) return s;
    }
    return Flush();
  }

  // Rolls the open batch back (a failed COMMIT may leave the transaction
  // open); the position returns to the checkpoint.
  void RollBack() {
    sink_->Rollback();
    unflushed_ = 0;
    position_ = committed_;
    batch_.clear();
    batch_bytes_ = 0;
  }

  std::string BatchRolledBack() const {
    return " (the batch was rolled back and the checkpoint stays at " + std::to_string(committed_) +
           ", so running tttail again retries them)";
  }

  // RollBack()s and makes `s` the answer to every later call: after a
  // failure nothing more may reach the sink, least of all a checkpoint.
  Status Abandon(Status s) {
    RollBack();
    failed_ = s;
    return s;
  }

  std::unique_ptr<Sink> sink_;
  std::string source_;
  uint64_t committed_ = 0;         // the checkpoint in the sink
  uint64_t position_ = 0;          // newest timestamp applied (committed or not)
  uint64_t unflushed_ = 0;         // records in the open transaction
  std::vector<UlogRecord> batch_;  // the records applied in the open transaction
  size_t batch_bytes_ = 0;         // their bodies' bytes
  Status failed_;                  // the first failure; Ok while there was none
};

}  // namespace

std::unique_ptr<TailOutput> NewStdoutOutput(TailFormat format, TailEncoding encoding,
                                            std::optional<std::string> checkpoint_path) {
  return std::make_unique<StdoutOutput>(format, encoding, std::move(checkpoint_path));
}

std::unique_ptr<TailOutput> NewSinkOutput(std::unique_ptr<Sink> sink, std::string source) {
  return std::make_unique<SinkOutput>(std::move(sink), std::move(source));
}

}  // namespace tt
