// Where tttail delivers records, and how it remembers what it delivered:
// standard output with a checkpoint file (at least once), or a Sink with its
// checkpoint in the sink's own transaction (exactly once).
//
// Both batch: Deliver() buffers, Flush() makes everything delivered so far
// durable and moves the checkpoint to the last delivered timestamp. The
// checkpoint is never ahead of what was flushed. After a Deliver or Flush
// fails, that first error is the answer to every later Deliver and Flush,
// which change nothing: a failure is never followed by a success that
// would hide it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "repl/rts_file.h"
#include "repl/tail/tail_format.h"
#include "repl/tail/tail_sink.h"
#include "ulog/record.h"

namespace tt {

// Not thread-safe: the tail loop owns it.
class TailOutput {
 public:
  virtual ~TailOutput() = default;
  // The timestamp of the last record delivered in an earlier run (0: none).
  virtual Status LoadPosition(uint64_t* ts) = 0;
  // Delivers `record` (buffered until Flush). `master_sid` is the id the
  // master announced in the handshake.
  virtual Status Deliver(const UlogRecord& record, uint32_t master_sid) = 0;
  // Makes every delivered record durable and saves the checkpoint; a no-op
  // when nothing was delivered since the last flush.
  virtual Status Flush() = 0;
  // Records delivered since the last Flush.
  virtual uint64_t unflushed() const = 0;
  // The timestamp up to which delivery is durable (the saved checkpoint);
  // nullopt when nothing is remembered (standard output without a file).
  virtual std::optional<uint64_t> durable_position() const = 0;
  // Where the checkpoint is kept, for messages ("the checkpoint file X");
  // empty when nothing is remembered.
  virtual std::string checkpoint_name() const = 0;
};

// Lines on standard output (tail_format.h), the checkpoint in an rts-format
// file (repl/rts_file.h) saved atomically after stdout is flushed; without a
// checkpoint path nothing is saved.
std::unique_ptr<TailOutput> NewStdoutOutput(TailFormat format, TailEncoding encoding,
                                            std::optional<std::string> checkpoint_path);

// Applies records to `sink` in transactions that also store the checkpoint of
// `source` (tail_sink.h); a failed Deliver or Flush rolls the open batch
// back. REQUIRES: sink->Prepare() succeeded.
std::unique_ptr<TailOutput> NewSinkOutput(std::unique_ptr<Sink> sink, std::string source);

}  // namespace tt
