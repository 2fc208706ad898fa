#include "ttserver/net/acceptor.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"

namespace tt {

namespace {

// A listening IPv4 socket on host:port.
Status ListenTcp(const std::string& host, int port, int* fd_out, std::string* address) {
  addrinfo hints{};
  hints.ai_family = AF_INET;  // as the original: IPv4 only
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0)
    return Status::InvalidArgument("cannot resolve -host " + host + ": " + gai_strerror(rc));
  sockaddr_in addr = *reinterpret_cast<sockaddr_in*>(found->ai_addr);
  freeaddrinfo(found);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr.sin_addr, text, sizeof text);
  *address = std::string(text) + ":" + std::to_string(port);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoErrorFromErrno("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status s = IoErrorFromErrno("cannot bind " + *address);
    close(fd);
    return s;
  }
  *fd_out = fd;
  return Status::Ok();
}

// True if something accepts connections on the UNIX socket at `path`.
bool UnixSocketInUse(const sockaddr_un& addr) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool in_use = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return in_use;
}

Status ListenUnix(const std::string& path, int* fd_out, std::string* address) {
  *address = "unix:" + path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) {
    return Status::InvalidArgument("-host: UNIX socket path must be 1.." +
                                   std::to_string(sizeof addr.sun_path - 1) + " bytes long");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::InvalidArgument(path + " exists and is not a socket");
    }
    if (UnixSocketInUse(addr)) return Status::IoError(path + ": another server is listening there");
    unlink(path.c_str());  // stale socket of a server that did not exit cleanly
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoErrorFromErrno("socket");
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    Status s = IoErrorFromErrno("cannot bind " + *address);
    close(fd);
    return s;
  }
  *fd_out = fd;
  return Status::Ok();
}

}  // namespace

Acceptor::Acceptor(std::vector<Worker*> workers, Stats* stats, int max_conns, TlsContext* tls)
    : workers_(std::move(workers)),
      stats_(stats),
      max_conns_(max_conns > 0 ? static_cast<uint64_t>(max_conns) : 1),
      tls_(tls) {}

Acceptor::~Acceptor() {
  Stop();
  CloseListener();
  if (resume_ev_ != nullptr) event_free(resume_ev_);
  if (stop_ev_ != nullptr) event_free(stop_ev_);
  if (stop_fd_ >= 0) close(stop_fd_);
  if (base_ != nullptr) event_base_free(base_);
}

Status Acceptor::Listen(const std::string& host, int port) {
  int fd = -1;
  Status s = port < 1 ? ListenUnix(host, &fd, &address_) : ListenTcp(host, port, &fd, &address_);
  if (!s.ok()) return s;
  if (port < 1) unix_path_ = host;
  base_ = event_base_new();
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (base_ == nullptr || stop_fd_ < 0) {
    close(fd);
    return Status::IoError("acceptor: cannot create an event loop");
  }
  // libevent's default backlog (128) overflows under a connection burst.
  listener_ = evconnlistener_new(base_, &Acceptor::OnAccept, this,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, SOMAXCONN, fd);
  if (listener_ == nullptr) {
    Status err = IoErrorFromErrno("cannot listen on " + address_);
    close(fd);
    return err;
  }
  evconnlistener_set_error_cb(listener_, &Acceptor::OnAcceptError);
  resume_ev_ = evtimer_new(base_, &Acceptor::OnResume, this);
  stop_ev_ = event_new(base_, stop_fd_, EV_READ, &Acceptor::OnStop, this);
  if (resume_ev_ == nullptr || stop_ev_ == nullptr || event_add(stop_ev_, nullptr) != 0) {
    return Status::IoError("acceptor: cannot register events");
  }
  return Status::Ok();
}

Status Acceptor::Start() {
  if (listener_ == nullptr) return Status::InvalidArgument("acceptor: Listen() first");
  thread_ = std::thread([this] { event_base_dispatch(base_); });
  return Status::Ok();
}

void Acceptor::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
  thread_.join();
  CloseListener();
}

void Acceptor::CloseListener() {
  if (listener_ == nullptr) return;
  evconnlistener_free(listener_);  // closes the socket
  listener_ = nullptr;
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

void Acceptor::OnAccept(evconnlistener*, int fd, ::sockaddr*, int, void* arg) {
  auto* self = static_cast<Acceptor*>(arg);
  Stats& stats = *self->stats_;
  // A replication stream has left its worker (repl/feeder.h) but still holds
  // a socket and a thread: it counts against the limit.
  const uint64_t open = stats.conns_current.load(std::memory_order_relaxed) +
                        stats.repl_slaves.load(std::memory_order_relaxed);
  if (open >= self->max_conns_) {
    stats.conns_rejected.fetch_add(1, std::memory_order_relaxed);
    close(fd);
    ++self->unlogged_rejects_;
    auto now = std::chrono::steady_clock::now();
    if (now - self->last_reject_log_ >= std::chrono::seconds(1)) {
      LogError("connection refused: ", self->max_conns_, " connections are open (--max-conns); ",
               self->unlogged_rejects_, " refused since the last report");
      self->last_reject_log_ = now;
      self->unlogged_rejects_ = 0;
    }
    return;
  }
  stats.conns_current.fetch_add(1, std::memory_order_relaxed);
  stats.conns_total.fetch_add(1, std::memory_order_relaxed);
  Worker* worker = self->workers_[self->next_worker_];
  self->next_worker_ = (self->next_worker_ + 1) % self->workers_.size();
  worker->Adopt(fd, self->tls_);
}

void Acceptor::OnAcceptError(evconnlistener* listener, void* arg) {
  auto* self = static_cast<Acceptor*>(arg);
  int err = errno;
  // Out of descriptors (or kernel memory): pause instead of spinning on the
  // pending connection; it is accepted once descriptors free up.
  LogError("accept: ", strerror(err), "; pausing the listener for 100 ms");
  evconnlistener_disable(listener);
  timeval tv{0, 100 * 1000};
  event_add(self->resume_ev_, &tv);
}

void Acceptor::OnResume(int, short, void* arg) {
  auto* self = static_cast<Acceptor*>(arg);
  if (self->listener_ != nullptr) evconnlistener_enable(self->listener_);
}

void Acceptor::OnStop(int, short, void* arg) {
  auto* self = static_cast<Acceptor*>(arg);
  evconnlistener_disable(self->listener_);
  event_base_loopbreak(self->base_);
}

}  // namespace tt
