// One client connection, owned by one Worker and used only on its thread.
//
// Bytes are read into a contiguous input buffer that grows only with what the
// peer actually sent; the connection's ProtocolSession (chosen by the first
// byte) consumes whole requests from its front and appends replies to the
// output buffer, which is written as the socket allows. Reading pauses while
// more than Worker::Options::output_high_water bytes of replies wait (a peer
// that does not read cannot make the server buffer without bound).
//
// A slow request (the session returns kDeferred) runs on a job thread of the
// worker. Meanwhile the connection neither reads nor processes input (bytes
// already received stay buffered, so pipelined requests are answered after
// the slow one, in order), no timeout runs, and it is not destroyed: closing
// it then only closes the socket, and the object goes when the job reports.
//
// A session may hand the socket to another owner (kHandOff: a replication
// slave goes to the feeder): the connection then stops its events, passes the
// socket and its unsent replies on, and is destroyed without closing the
// socket. It no longer counts as a client connection.
//
// Why not evbuffer: a request larger than one read (a big put) would have to
// be linearised with evbuffer_pullup after every read, copying it again each
// time; a contiguous buffer that doubles is linear.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ttserver/net/protocol_session.h"

struct event;

namespace tt {

class Worker;

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes ownership of the connected, non-blocking socket `fd`. `worker` must
  // outlive the connection; call Start() before anything else. `peer` is the
  // client's "host:port" when `fd` is not the client's own socket (the plain
  // end of a TLS bridge); empty: `fd`'s peer.
  Connection(Worker* worker, int fd, std::string peer = "");
  // Closes the socket and unregisters its events.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Registers the connection with the worker's event loop. false = the
  // connection could not be set up and must be destroyed.
  bool Start();
  // Shutdown: handles every whole request already received (including bytes
  // waiting in the kernel, and after a running job those behind it), stops
  // reading, and closes once the replies are written. May destroy the
  // connection (through the worker).
  void BeginDrain();
  // Closes the connection now, unanswered requests and unsent replies
  // included, and destroys it through the worker; while a job runs, only the
  // socket is closed and the destruction waits for OnJobDone().
  void Close();
  // Worker thread, once per job started by Worker::RunJob: takes the reply
  // of the slow request (nullopt = the job failed: the connection closes, as
  // later replies would no longer match their requests), then resumes
  // processing and reading. May destroy the connection.
  void OnJobDone(std::optional<std::string> reply);

  int fd() const { return fd_; }
  // The client's "host:port" ("[host]:port" for IPv6), for logs, reports
  // and the owner of a hand-off.
  std::string Peer() const;

 private:
  // A growable byte buffer with a consumed head: [head_, tail_) is live.
  class InputBuffer {
   public:
    std::string_view view() const { return {data_.get() + head_, tail_ - head_}; }
    size_t size() const { return tail_ - head_; }
    void Consume(size_t n);
    // Returns space for at least `min_free` more bytes at the tail.
    char* PrepareWrite(size_t min_free, size_t* free_bytes);
    void Commit(size_t n) { tail_ += n; }

   private:
    std::unique_ptr<char[]> data_;
    size_t capacity_ = 0, head_ = 0, tail_ = 0;
  };

  enum class ReadOutcome { kOk, kEof, kError };
  enum class Next { kKeep, kClose };

  static void OnReadable(int fd, short what, void* arg);
  static void OnWritable(int fd, short what, void* arg);
  static void OnTimer(int fd, short what, void* arg);

  // Reads up to `budget` bytes (until EAGAIN) into the input buffer.
  ReadOutcome ReadAvailable(size_t budget);
  // Feeds the input to the session (not while a job runs); sets closing_ on
  // kClose, starts the job on kDeferred. `after_job`: a job's reply was just
  // appended, so the session is called even with no input. Returns kClose
  // when the socket was handed off (the caller then destroys the connection).
  Next ProcessInput(bool after_job = false);
  // kHandOff: gives the socket and the unsent output to the session's
  // receiver. kClose (the connection is then destroyed, its socket kept).
  Next HandOff();
  // Writes queued output until done or EAGAIN. kClose on a write error.
  Next Flush();
  // Common tail of every event: flush, update interest and timer; decides close.
  Next Settle();
  void UpdateInterest();
  void UpdateTimer();
  // The earliest time the connection must be closed for a timeout, if any;
  // *reason says which timeout.
  bool Deadline(Clock::time_point* when, const char** reason) const;
  size_t PendingOutput() const { return out_.size() - out_head_; }
  // Whole requests wait in the input that the session has not taken yet
  // (it stops after a batch of replies; see ProtocolSession::Process).
  bool HasUnprocessedRequests() const {
    return !closing_ && !job_running_ && session_ != nullptr && in_.size() > 0 &&
           !session_->MidRequest();
  }
  // No further reply will be produced: the connection closes once the output is written.
  bool Done() const { return !job_running_ && (closing_ || input_ended_); }
  // Takes no further request: the queued output is sent, then the
  // connection closes; input not yet processed is dropped.
  void CloseAfterOutput();
  // Unregisters the connection's events (the socket is left alone).
  void StopEvents();
  // Close() while a job runs: unregisters the events and closes the socket.
  void Abandon();

  Worker* worker_;
  int fd_;
  const std::string peer_;  // empty: ask the socket
  event* read_ev_ = nullptr;
  event* write_ev_ = nullptr;
  event* timer_ev_ = nullptr;
  bool reading_ = false, writing_ = false;
  bool timer_armed_ = false;
  Clock::time_point timer_at_;

  std::unique_ptr<ProtocolSession> session_;
  InputBuffer in_;
  std::string out_;
  size_t out_head_ = 0;

  bool closing_ = false;       // no more requests: close once the output is written
  bool input_ended_ = false;   // EOF seen or draining: answer what is buffered, then close
  bool job_running_ = false;   // a deferred request runs on a job thread
  bool abandoned_ = false;     // closed while the job runs: destroy when it reports
  Clock::time_point last_activity_;  // last byte read or written
  Clock::time_point request_start_;  // first byte of the request now partly received
  Clock::time_point last_write_progress_;
};

}  // namespace tt
