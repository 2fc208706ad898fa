#include "ttserver/net/worker.h"

#include <event2/event.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>
#include <vector>

#include "common/logging.h"

namespace tt {

Worker::Worker(int id, SessionFactory factory, Stats* stats, const Options& options)
    : id_(id), factory_(std::move(factory)), stats_(stats), options_(options) {}

Worker::~Worker() {
  JoinJobs();  // none left after Join(); a job must not outlive what it reports to
  stats_->conns_current.fetch_sub(connections_.size(), std::memory_order_relaxed);
  bridge_of_.clear();
  bridges_.clear();  // before the event loop they are registered with
  connections_.clear();
  for (const PendingSocket& pending : pending_) {
    close(pending.fd);
    stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
  }
  if (wake_ev_ != nullptr) event_free(wake_ev_);
  if (drain_ev_ != nullptr) event_free(drain_ev_);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (base_ != nullptr) event_base_free(base_);
}

Status Worker::Start() {
  base_ = event_base_new();
  if (base_ == nullptr) return Status::IoError("worker: cannot create an event loop");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::IoError(std::string("worker: eventfd: ") + strerror(errno));
  wake_ev_ = event_new(base_, wake_fd_, EV_READ | EV_PERSIST, &Worker::OnWakeup, this);
  drain_ev_ = evtimer_new(base_, &Worker::OnDrainDeadline, this);
  if (wake_ev_ == nullptr || drain_ev_ == nullptr || event_add(wake_ev_, nullptr) != 0) {
    return Status::IoError("worker: cannot register events");
  }
  thread_ = std::thread([this] {
    event_base_dispatch(base_);
    std::lock_guard lock(mu_);
    accepting_ = false;
  });
  return Status::Ok();
}

void Worker::Adopt(int fd, TlsContext* tls) {
  {
    std::lock_guard lock(mu_);
    if (accepting_) {
      pending_.push_back({fd, tls});
      fd = -1;
    }
  }
  if (fd >= 0) {  // the loop has ended: nobody will serve it
    close(fd);
    stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  Wake();
}

void Worker::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutdown_requested_ = true;
  }
  Wake();
}

void Worker::Wake() {
  uint64_t one = 1;
  // Fails only with EAGAIN when the counter is already huge: a wakeup is pending anyway.
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
  JoinJobs();
}

void Worker::JoinJobs() {
  // The loop ends only once every job has reported, so these threads have
  // finished or are about to return.
  for (auto& [id, job] : jobs_) {
    if (job.thread.joinable()) job.thread.join();
  }
  jobs_.clear();
}

void Worker::Remove(Connection* conn) {
  // Uncounted before the socket closes: a peer that sees the close and
  // connects again must not find its old connection still counted against
  // --max-conns.
  stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
  UnlinkBridge(conn);        // its bridge ends once the close reaches it
  connections_.erase(conn);  // destroys it: closes the socket
  FinishIfDrained();
}

void Worker::NoteHandOff(Connection* conn) {
  TlsBridge* bridge = UnlinkBridge(conn);
  if (bridge == nullptr) return;  // plain, or its bridge has finished already
  bridges_[bridge].carries_stream = true;
  ++stream_bridges_;
}

TlsBridge* Worker::UnlinkBridge(Connection* conn) {
  auto it = bridge_of_.find(conn);
  if (it == bridge_of_.end()) return nullptr;
  TlsBridge* bridge = it->second;
  bridge_of_.erase(it);
  bridges_[bridge].conn = nullptr;
  return bridge;
}

void Worker::RemoveBridge(TlsBridge* bridge) {
  auto it = bridges_.find(bridge);
  if (it == bridges_.end()) return;
  // Its connection may live on (with requests still to answer, or to hand
  // off): it must not name a freed bridge.
  if (it->second.conn != nullptr) bridge_of_.erase(it->second.conn);
  if (it->second.carries_stream) --stream_bridges_;
  bridges_.erase(it);
  FinishIfDrained();
}

void Worker::RunJob(Connection* conn, ProtocolSession::DeferredWork work) {
  uint64_t id = next_job_id_++;
  auto body = [this, id, work = std::move(work)] {
    std::optional<std::string> reply;
    try {
      reply = work();
    } catch (const std::exception& e) {
      LogError("worker ", id_, ": a deferred request failed: ", e.what());
    } catch (...) {
      LogError("worker ", id_, ": a deferred request failed");
    }
    {
      std::lock_guard lock(mu_);
      finished_.push_back({id, std::move(reply)});
    }
    Wake();
  };
  Job& job = jobs_[id];
  job.conn = conn;
  try {
    job.thread = std::thread(body);
  } catch (const std::system_error& e) {
    // Out of threads: answering late beats not answering. The reply still
    // arrives through the queue, so the connection sees the same sequence.
    LogError("worker ", id_, ": cannot start a job thread (", e.what(),
             "): running the request on the event loop");
    body();
  }
}

void Worker::CompleteJobs() {
  std::deque<JobResult> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
  }
  for (JobResult& result : done) {
    auto it = jobs_.find(result.id);
    if (it == jobs_.end()) continue;
    if (it->second.thread.joinable()) it->second.thread.join();  // it has just reported
    Connection* conn = it->second.conn;
    jobs_.erase(it);
    conn->OnJobDone(std::move(result.reply));  // may destroy conn
  }
}

void Worker::OnWakeup(int fd, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  uint64_t count;
  [[maybe_unused]] ssize_t n = read(fd, &count, sizeof count);
  self->CompleteJobs();
  self->AdoptPending();
  bool shutdown;
  {
    std::lock_guard lock(self->mu_);
    shutdown = self->shutdown_requested_;
  }
  if (shutdown && !self->draining_) self->StartDraining();
}

void Worker::AdoptPending() {
  std::deque<PendingSocket> sockets;
  {
    std::lock_guard lock(mu_);
    sockets.swap(pending_);
  }
  for (const PendingSocket& socket : sockets) AdoptOne(socket.fd, socket.tls);
}

bool Worker::AdoptOne(int fd, TlsContext* tls) {
  TlsBridge* bridge = nullptr;
  if (tls != nullptr) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
      LogError("worker ", id_, ": TLS connection dropped: socketpair: ", strerror(errno),
               " (out of descriptors? a TLS connection uses three; raise the open-file limit)");
      close(fd);
      stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    SSL* ssl = tls->NewSession();
    if (ssl == nullptr) {
      LogError("worker ", id_, ": TLS connection dropped: no session (", TakeOpenSslErrors(), ")");
      close(fd);
      close(pair[0]);
      close(pair[1]);
      stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    auto owned = std::make_unique<TlsBridge>();
    auto on_done = [this](TlsBridge* done) { RemoveBridge(done); };
    auto on_failure = [tls](const std::string& peer, const std::string& reason) {
      tls->ReportHandshakeFailure(peer, reason);
    };
    if (!owned->Start(base_, ssl, TlsBridge::Role::kAccept, fd, pair[1], on_done, on_failure,
                      options_.tls_handshake_timeout_s)) {
      close(pair[0]);
      stats_->conns_current.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    bridge = owned.get();
    bridges_[bridge].bridge = std::move(owned);
    fd = pair[0];
  }
  auto conn = std::make_unique<Connection>(this, fd, bridge != nullptr ? bridge->peer() : "");
  Connection* raw = conn.get();
  connections_.emplace(raw, std::move(conn));
  if (bridge != nullptr) {
    bridge_of_[raw] = bridge;
    bridges_[bridge].conn = raw;
  }
  if (!raw->Start()) {
    LogError("worker ", id_, ": cannot register connection fd ", fd);
    Remove(raw);
    return false;
  }
  // Adopted during shutdown (accepted just before the listener closed):
  // its requests are answered like everyone else's.
  if (draining_) raw->BeginDrain();
  return true;
}

void Worker::StartDraining() {
  draining_ = true;
  auto us = static_cast<int64_t>(options_.drain_timeout_s * 1e6);
  timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
  event_add(drain_ev_, &tv);
  // BeginDrain may destroy the connection: walk a copy of the keys.
  std::vector<Connection*> all;
  all.reserve(connections_.size());
  for (auto& [raw, conn] : connections_) all.push_back(raw);
  for (Connection* raw : all) {
    if (connections_.count(raw) > 0) raw->BeginDrain();
  }
  FinishIfDrained();
}

void Worker::OnDrainDeadline(int, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  if (!self->connections_.empty()) {
    LogInfo("worker ", self->id_, ": closing ", self->connections_.size(),
            " connection(s) still unfinished at shutdown");
  }
  // Close() may destroy the connection: walk a copy of the keys. A
  // connection whose job runs only closes its socket here; it is destroyed,
  // and the loop ends, when the job reports (the store must stay open for it).
  std::vector<Connection*> all;
  all.reserve(self->connections_.size());
  for (auto& [raw, conn] : self->connections_) all.push_back(raw);
  for (Connection* raw : all) {
    if (self->connections_.count(raw) > 0) raw->Close();
  }
  // Bridges still sending last replies to clients that do not read them.
  self->bridge_of_.clear();
  self->bridges_.clear();
  self->stream_bridges_ = 0;
  self->FinishIfDrained();
}

void Worker::FinishIfDrained() {
  // Every job belongs to a live connection, so no connection means no job;
  // checking both keeps the loop alive for a job even if that ever changes.
  // A bridge still sending a closed connection's last replies is waited for;
  // one carrying a replication stream is not (it ends with the worker).
  if (draining_ && connections_.empty() && jobs_.empty() && bridges_.size() == stream_bridges_) {
    event_base_loopbreak(base_);
  }
}

}  // namespace tt
