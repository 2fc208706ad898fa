#include "ttserver/net/connection.h"

#include <errno.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/logging.h"
#include "common/peer_address.h"
#include "ttserver/net/worker.h"

namespace tt {

namespace {

constexpr size_t kMinReadSpace = 16 * 1024;     // free space offered to each read(2)
constexpr size_t kReadBudget = 1024 * 1024;     // bytes read per readable event (fairness)
constexpr size_t kDrainReadBudget = 64u << 20;  // at shutdown: what is already in the kernel
constexpr size_t kKeepCapacity = 1024 * 1024;   // buffers larger than this are freed when empty
// Closing connections whose peer does not read their last replies.
constexpr double kCloseLingerS = 10;

Connection::Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Connection::Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

void Connection::InputBuffer::Consume(size_t n) {
  head_ += n;
  if (head_ == tail_) {
    head_ = tail_ = 0;
    if (capacity_ > kKeepCapacity) {
      data_.reset();
      capacity_ = 0;
    }
  }
}

char* Connection::InputBuffer::PrepareWrite(size_t min_free, size_t* free_bytes) {
  if (capacity_ - tail_ < min_free) {
    size_t live = tail_ - head_;
    if (head_ > 0 && capacity_ - live >= min_free) {
      std::memmove(data_.get(), data_.get() + head_, live);
    } else {
      // Doubling keeps a request that arrives in many reads linear in its size.
      size_t capacity = std::max(capacity_ * 2, live + min_free);
      std::unique_ptr<char[]> bigger(new char[capacity]);
      if (live > 0) std::memcpy(bigger.get(), data_.get() + head_, live);
      data_ = std::move(bigger);
      capacity_ = capacity;
    }
    head_ = 0;
    tail_ = live;
  }
  *free_bytes = capacity_ - tail_;
  return data_.get() + tail_;
}

Connection::Connection(Worker* worker, int fd, std::string peer)
    : worker_(worker), fd_(fd), peer_(std::move(peer)) {
  last_activity_ = last_write_progress_ = request_start_ = Clock::now();
}

std::string Connection::Peer() const { return peer_.empty() ? PeerAddress(fd_) : peer_; }

Connection::~Connection() {
  for (event* ev : {read_ev_, write_ev_, timer_ev_}) {
    if (ev != nullptr) event_free(ev);
  }
  if (fd_ >= 0) close(fd_);
}

bool Connection::Start() {
  int one = 1;
  // Fails harmlessly on UNIX-domain sockets.
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  event_base* base = worker_->base();
  read_ev_ = event_new(base, fd_, EV_READ | EV_PERSIST, &Connection::OnReadable, this);
  write_ev_ = event_new(base, fd_, EV_WRITE | EV_PERSIST, &Connection::OnWritable, this);
  timer_ev_ = evtimer_new(base, &Connection::OnTimer, this);
  if (read_ev_ == nullptr || write_ev_ == nullptr || timer_ev_ == nullptr) return false;
  UpdateInterest();
  UpdateTimer();
  return reading_;
}

void Connection::OnReadable(int, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  ReadOutcome outcome = self->ReadAvailable(kReadBudget);
  if (outcome == ReadOutcome::kError) return self->Close();
  if (self->ProcessInput() == Next::kClose) return self->Close();
  // A half-closed peer still gets the replies to what it sent.
  if (outcome == ReadOutcome::kEof) self->input_ended_ = true;
  if (self->Settle() == Next::kClose) self->Close();
}

void Connection::OnWritable(int, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  if (self->Settle() == Next::kClose) self->Close();
}

void Connection::OnTimer(int, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  self->timer_armed_ = false;
  Clock::time_point when;
  const char* reason = nullptr;
  if (self->Deadline(&when, &reason) && when <= Clock::now()) {
    LogInfo("closing connection fd ", self->fd_, ": ", reason);
    return self->Close();
  }
  self->UpdateTimer();
}

void Connection::BeginDrain() {
  if (abandoned_) return;  // closed already; only its job keeps it
  if (!closing_ && !input_ended_) {
    // With a job running this only buffers: what follows the slow request is
    // handled when the job reports.
    ReadOutcome outcome = ReadAvailable(kDrainReadBudget);
    if (outcome == ReadOutcome::kError) return Close();
    if (ProcessInput() == Next::kClose) return Close();
    input_ended_ = true;
  }
  if (Settle() == Next::kClose) Close();
}

void Connection::Close() {
  if (abandoned_) return;
  if (job_running_) return Abandon();
  worker_->Remove(this);  // destroys this
}

void Connection::CloseAfterOutput() {
  closing_ = true;
  in_.Consume(in_.size());
}

void Connection::StopEvents() {
  for (event* ev : {read_ev_, write_ev_, timer_ev_}) {
    if (ev != nullptr) event_del(ev);
  }
  reading_ = writing_ = timer_armed_ = false;
}

void Connection::Abandon() {
  abandoned_ = true;
  closing_ = true;
  StopEvents();
  // The peer learns now; the fd is free for new connections meanwhile.
  close(fd_);
  fd_ = -1;
}

void Connection::OnJobDone(std::optional<std::string> reply) {
  job_running_ = false;
  if (abandoned_) return worker_->Remove(this);
  if (reply.has_value()) {
    out_.append(*reply);
  } else {
    LogInfo("closing connection fd ", fd_, ": its deferred request failed");
    CloseAfterOutput();
  }
  // The timeouts were suspended during the job: their clocks restart now,
  // rather than charging the job's duration to the peer.
  last_activity_ = last_write_progress_ = Clock::now();
  if (ProcessInput(/*after_job=*/true) == Next::kClose) return Close();
  if (Settle() == Next::kClose) Close();
}

Connection::ReadOutcome Connection::ReadAvailable(size_t budget) {
  size_t total = 0;
  while (total < budget) {
    size_t free_bytes = 0;
    char* dst = in_.PrepareWrite(kMinReadSpace, &free_bytes);
    free_bytes = std::min(free_bytes, budget - total);
    ssize_t n = read(fd_, dst, free_bytes);
    if (n > 0) {
      in_.Commit(static_cast<size_t>(n));
      total += static_cast<size_t>(n);
      worker_->stats().bytes_read.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      last_activity_ = Clock::now();
      if (static_cast<size_t>(n) < free_bytes) break;  // the kernel buffer is empty
      continue;
    }
    if (n == 0) return ReadOutcome::kEof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    LogDebug("closing connection fd ", fd_, ": read: ", strerror(errno));
    return ReadOutcome::kError;
  }
  return ReadOutcome::kOk;
}

Connection::Next Connection::ProcessInput(bool after_job) {
  // While a job runs, later requests wait: their replies must follow its reply.
  if (closing_ || job_running_) return Next::kKeep;
  // Right after a job the session is called even without input, so that it
  // can end the connection after the job's reply (protocol_session.h).
  if (in_.size() == 0 && !(after_job && session_ != nullptr)) return Next::kKeep;
  if (session_ == nullptr) {
    auto first = static_cast<uint8_t>(in_.view()[0]);
    session_ = worker_->NewSession(first, fd_);
    if (session_ == nullptr) {
      LogInfo("closing connection fd ", fd_, ": no protocol starts with byte 0x", std::hex,
              static_cast<int>(first));
      return Next::kClose;
    }
  }
  bool was_mid_request = session_->MidRequest();
  bool had_output = PendingOutput() > 0;
  size_t consumed = 0;
  ProtocolSession::Result result = session_->Process(in_.view(), &consumed, &out_);
  in_.Consume(std::min(consumed, in_.size()));
  // A reply's -tout clock starts when it is queued.
  if (!had_output && PendingOutput() > 0) last_write_progress_ = Clock::now();
  if (result == ProtocolSession::Result::kClose) {
    CloseAfterOutput();
    return Next::kKeep;
  }
  if (result == ProtocolSession::Result::kHandOff) return HandOff();
  if (result == ProtocolSession::Result::kDeferred) {
    ProtocolSession::DeferredWork work = session_->TakeDeferred();
    if (!work) {
      LogError("closing connection fd ", fd_, ": the session deferred a request without work");
      CloseAfterOutput();
      return Next::kKeep;
    }
    job_running_ = true;
    worker_->RunJob(this, std::move(work));
    return Next::kKeep;
  }
  // The -tout deadline runs from the first byte of the request in progress.
  if (session_->MidRequest() && (!was_mid_request || consumed > 0)) request_start_ = Clock::now();
  return Next::kKeep;
}

Connection::Next Connection::HandOff() {
  ProtocolSession::HandOff receiver = session_->TakeHandOff();
  if (!receiver) {
    LogError("closing connection fd ", fd_, ": the session handed off the socket to nobody");
    CloseAfterOutput();
    return Next::kKeep;
  }
  StopEvents();
  worker_->NoteHandOff(this);
  std::string peer = Peer();
  const int fd = std::exchange(fd_, -1);  // the destructor must not close it
  receiver(fd, out_.substr(out_head_), std::move(peer));
  return Next::kClose;
}

Connection::Next Connection::Flush() {
  while (PendingOutput() > 0) {
    // send(MSG_NOSIGNAL): a peer gone while its reply was computed must
    // cost an EPIPE, not the process (SIGPIPE), whatever the signal setup.
    ssize_t n = send(fd_, out_.data() + out_head_, PendingOutput(), MSG_NOSIGNAL);
    if (n > 0) {
      out_head_ += static_cast<size_t>(n);
      worker_->stats().bytes_written.fetch_add(static_cast<uint64_t>(n),
                                               std::memory_order_relaxed);
      last_activity_ = last_write_progress_ = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    LogDebug("closing connection fd ", fd_, ": write: ", strerror(errno));
    return Next::kClose;
  }
  if (PendingOutput() == 0) {
    out_head_ = 0;
    if (out_.capacity() > kKeepCapacity) {
      std::string().swap(out_);
    } else {
      out_.clear();
    }
  } else if (out_head_ > kKeepCapacity && out_head_ > out_.size() / 2) {
    out_.erase(0, out_head_);
    out_head_ = 0;
  }
  return Next::kKeep;
}

Connection::Next Connection::Settle() {
  if (Flush() == Next::kClose) return Next::kClose;
  // Whole requests the session left for a full batch of replies are taken up
  // as the output drains.
  while (HasUnprocessedRequests() && PendingOutput() <= worker_->options().output_high_water) {
    const size_t before = in_.size();
    if (ProcessInput() == Next::kClose) return Next::kClose;
    if (Flush() == Next::kClose) return Next::kClose;
    if (in_.size() == before) break;
  }
  if (Done() && PendingOutput() == 0) return Next::kClose;
  UpdateInterest();
  UpdateTimer();
  return Next::kKeep;
}

void Connection::UpdateInterest() {
  bool want_read = !closing_ && !input_ended_ && !job_running_ &&
                   PendingOutput() <= worker_->options().output_high_water;
  bool want_write = PendingOutput() > 0;
  if (want_read != reading_) {
    if (want_read) {
      event_add(read_ev_, nullptr);
    } else {
      event_del(read_ev_);
    }
    reading_ = want_read;
  }
  if (want_write != writing_) {
    if (want_write) {
      event_add(write_ev_, nullptr);
    } else {
      event_del(write_ev_);
    }
    writing_ = want_write;
  }
}

bool Connection::Deadline(Clock::time_point* when, const char** reason) const {
  const Worker::Options& options = worker_->options();
  bool found = false;
  auto consider = [&](Clock::time_point t, const char* why) {
    if (!found || t < *when) {
      *when = t;
      *reason = why;
      found = true;
    }
  };
  // A job may take as long as it needs (optimize of a large database): the
  // peer is waiting for us, not the other way round.
  if (job_running_) return false;
  if (Done()) {
    double linger = options.request_timeout_s > 0 ? options.request_timeout_s : kCloseLingerS;
    consider(last_write_progress_ + Seconds(linger), "the peer does not read its last replies");
    return found;
  }
  bool mid_request = session_ != nullptr && session_->MidRequest();
  if (options.request_timeout_s > 0) {
    if (mid_request) {
      consider(request_start_ + Seconds(options.request_timeout_s),
               "request not received whole within -tout");
    }
    if (PendingOutput() > 0) {
      consider(last_write_progress_ + Seconds(options.request_timeout_s),
               "reply not taken by the peer within -tout");
    }
  }
  // Also mid-request: a peer that stalls after part of a request would
  // otherwise hold its connection forever when -tout is not set.
  if (options.idle_timeout_s > 0) {
    consider(last_activity_ + Seconds(options.idle_timeout_s), "idle timeout");
  }
  return found;
}

void Connection::UpdateTimer() {
  Clock::time_point when;
  const char* reason = nullptr;
  if (!Deadline(&when, &reason)) return;  // an armed timer finds nothing due and stops
  // A later deadline is picked up when the armed timer fires; only an earlier
  // one re-arms, so busy connections do not touch the timer heap per read.
  if (timer_armed_ && timer_at_ <= when) return;
  auto delay = std::max(when - Clock::now(), Clock::duration::zero());
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(delay).count();
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  event_add(timer_ev_, &tv);
  timer_armed_ = true;
  timer_at_ = when;
}

}  // namespace tt
