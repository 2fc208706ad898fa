// The network shell (Acceptor, Worker, Connection) on 127.0.0.1 with a toy
// line protocol, so that connection handling is tested apart from the Engine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/tls_support.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "ttserver/net/acceptor.h"
#include "ttserver/net/worker.h"

namespace tt {
namespace {

using std::chrono::milliseconds;

// Holds the slow requests of LineSession until the test opens it, and counts
// them, so a test controls exactly how long a job runs.
class Gate {
 public:
  // Called by a job: counts it as started and blocks until Open().
  void Pass() {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    ++finished_;
  }
  // Lets every job, current and future, through.
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // True once `n` jobs have started, false after 3 s.
  bool WaitStarted(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(3), [&] { return started_ >= n; });
  }
  int started() {
    std::lock_guard lock(mu_);
    return started_;
  }
  int finished() {
    std::lock_guard lock(mu_);
    return finished_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int started_ = 0, finished_ = 0;
};

// Requests are lines. "quit" → "bye" and close; "big N" → N bytes of 'x' and
// a newline; "slow" → deferred: passes `gate`, then "slow-done"; "throw" →
// deferred work that throws; "handoff" → the socket goes to a receiver that
// closes it (as a replication stream's would when its peer is gone); anything
// else → "echo:<line>". A partial line is a request in progress.
class LineSession : public ProtocolSession {
 public:
  explicit LineSession(Gate* gate) : gate_(gate) {}

  Result Process(std::string_view in, size_t* consumed, std::string* out) override {
    *consumed = 0;
    for (;;) {
      size_t eol = in.find('\n', *consumed);
      if (eol == std::string_view::npos) break;
      std::string_view line = in.substr(*consumed, eol - *consumed);
      *consumed = eol + 1;
      if (line == "quit") {
        out->append("bye\n");
        return Result::kClose;
      }
      if (line == "slow") {
        deferred_ = [gate = gate_] {
          gate->Pass();
          return std::string("slow-done\n");
        };
        mid_request_ = false;
        return Result::kDeferred;
      }
      if (line == "throw") {
        deferred_ = []() -> std::string { throw std::runtime_error("thrown by the test"); };
        mid_request_ = false;
        return Result::kDeferred;
      }
      if (line == "handoff") {
        hand_off_ = [](int fd, std::string, std::string) { close(fd); };
        return Result::kHandOff;
      }
      if (line.substr(0, 4) == "big ") {
        out->append(std::stoul(std::string(line.substr(4))), 'x');
        out->push_back('\n');
      } else {
        out->append("echo:").append(line).append("\n");
      }
    }
    mid_request_ = *consumed < in.size();
    return Result::kContinue;
  }
  bool MidRequest() const override { return mid_request_; }
  DeferredWork TakeDeferred() override { return std::exchange(deferred_, nullptr); }
  HandOff TakeHandOff() override { return std::exchange(hand_off_, nullptr); }

 private:
  Gate* gate_;
  bool mid_request_ = false;
  DeferredWork deferred_;
  HandOff hand_off_;
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Reset();
  }
  explicit Client(const std::string& unix_path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    unix_path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Reset();
  }
  ~Client() { Reset(); }
  bool connected() const { return fd_ >= 0; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Up to n bytes, within timeout_ms; shorter on EOF or timeout.
  std::string Receive(size_t n, int timeout_ms = 3000) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + milliseconds(timeout_ms);
    std::vector<char> buf(1 << 20);
    while (out.size() < n) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now())
              .count();
      pollfd pfd{fd_, POLLIN, 0};
      if (left <= 0 || poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
      ssize_t got = recv(fd_, buf.data(), std::min(buf.size(), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buf.data(), static_cast<size_t>(got));
    }
    return out;
  }
  // True if the server closes the connection within timeout_ms.
  bool Closed(int timeout_ms = 3000) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0) return false;
    char c;
    return recv(fd_, &c, 1, 0) <= 0;
  }
  int fd() const { return fd_; }

 private:
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int fd_ = -1;
};

class NetworkTest : public ::testing::Test {
 protected:
  void StartServer(Worker::Options options = {}, int max_conns = 100, int threads = 2,
                   std::string host = "127.0.0.1", int port = -1) {
    port_ = port == -1 ? testing::FreePort() : port;
    SessionFactory factory = [this](uint8_t first_byte, int) -> std::unique_ptr<ProtocolSession> {
      if (first_byte == '!') return nullptr;
      return std::make_unique<LineSession>(&gate_);
    };
    std::vector<Worker*> raw;
    for (int i = 0; i < threads; ++i) {
      workers_.push_back(std::make_unique<Worker>(i, factory, &stats_, options));
      ASSERT_TRUE(workers_.back()->Start().ok());
      raw.push_back(workers_.back().get());
    }
    acceptor_ = std::make_unique<Acceptor>(raw, &stats_, max_conns, tls_.get());
    Status s = acceptor_->Listen(host, port_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(acceptor_->Start().ok());
  }
  void StopServer() {
    if (acceptor_ != nullptr) acceptor_->Stop();
    for (auto& w : workers_) w->Shutdown();
    for (auto& w : workers_) w->Join();
    acceptor_.reset();
    workers_.clear();
  }
  // A failed test may leave a job at the gate: shutdown would wait for it.
  void TearDown() override {
    gate_.Open();
    StopServer();
  }
  // Waits up to 3 s for stats_.conns_current to reach `n`.
  bool WaitConnections(uint64_t n) {
    for (int i = 0; i < 300 && stats_.conns_current.load() != n; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    return stats_.conns_current.load() == n;
  }

  Gate gate_;  // before the workers: their jobs use it
  Stats stats_;
  std::unique_ptr<TlsContext> tls_;  // set before StartServer: the port speaks TLS
  int port_ = 0;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Acceptor> acceptor_;
};

TEST_F(NetworkTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  std::string want;
  std::string requests;
  for (int i = 0; i < 100; ++i) {
    requests += "r" + std::to_string(i) + "\n";
    want += "echo:r" + std::to_string(i) + "\n";
  }
  ASSERT_TRUE(c.Send(requests));
  EXPECT_EQ(c.Receive(want.size()), want);
}

TEST_F(NetworkTest, RequestSentOneByteAtATime) {
  StartServer();
  Client c(port_);
  for (char ch : std::string("hello\n")) {
    ASSERT_TRUE(c.Send(std::string(1, ch)));
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(c.Receive(11), "echo:hello\n");
}

TEST_F(NetworkTest, UnknownFirstByteClosesTheConnection) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("!abc\n"));
  EXPECT_TRUE(c.Closed());
  Client d(port_);  // the server still serves
  ASSERT_TRUE(d.Send("x\n"));
  EXPECT_EQ(d.Receive(7), "echo:x\n");
}

TEST_F(NetworkTest, CloseResultSendsTheReplyFirst) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("a\nquit\nnever\n"));
  EXPECT_EQ(c.Receive(100), "echo:a\nbye\n");
  EXPECT_TRUE(c.Closed());
}

TEST_F(NetworkTest, HalfClosedPeerStillGetsItsReplies) {
  StartServer();
  Client c(port_);
  ASSERT_TRUE(c.Send("a\nb\n"));
  shutdown(c.fd(), SHUT_WR);
  EXPECT_EQ(c.Receive(100), "echo:a\necho:b\n");
}

TEST_F(NetworkTest, LargeRequestInManyPieces) {
  StartServer();
  Client c(port_);
  std::string line(20 << 20, 'v');
  std::thread sender([&] {
    for (size_t off = 0; off < line.size(); off += 100000) c.Send(line.substr(off, 100000));
    c.Send("\n");
  });
  std::string reply = c.Receive(line.size() + 6, 10000);
  sender.join();
  EXPECT_EQ(reply.size(), line.size() + 6);
  EXPECT_EQ(reply, "echo:" + line + "\n");
}

TEST_F(NetworkTest, SlowReaderGetsEverythingBackPressureOnly) {
  StartServer();
  Client c(port_);
  // 40 MB of replies queued while the client does not read; requests keep coming.
  std::string requests;
  for (int i = 0; i < 20; ++i) requests += "big 2000000\n";
  requests += "done\n";
  std::thread sender([&] { c.Send(requests); });
  std::this_thread::sleep_for(milliseconds(300));
  std::string got = c.Receive(20 * 2000001 + 10, 20000);
  sender.join();
  ASSERT_EQ(got.size(), 20u * 2000001 + 10);
  EXPECT_EQ(got.substr(got.size() - 10), "echo:done\n");
}

TEST_F(NetworkTest, IdleTimeoutClosesOnlyIdleConnections) {
  Worker::Options options;
  options.idle_timeout_s = 1;
  StartServer(options);
  Client idle(port_), busy(port_);
  ASSERT_TRUE(idle.Send("a\n"));
  EXPECT_EQ(idle.Receive(7), "echo:a\n");
  // The busy connection talks every 100 ms until the idle one is closed. Its
  // pauses stay far below the timeout even on a loaded machine or in a
  // sanitized build (with a 0.3 s timeout a slow round trip closed it too).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool idle_closed = false;
  while (!idle_closed && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(busy.Send("b\n"));
    ASSERT_EQ(busy.Receive(7), "echo:b\n");
    std::this_thread::sleep_for(milliseconds(100));
    idle_closed = idle.Closed(0);
  }
  EXPECT_TRUE(idle_closed);
  ASSERT_TRUE(busy.Send("c\n"));
  EXPECT_EQ(busy.Receive(7), "echo:c\n");
}

TEST_F(NetworkTest, IdleTimeoutAlsoClosesAStalledPartialRequest) {
  Worker::Options options;
  options.idle_timeout_s = 0.3;
  StartServer(options);
  Client partial(port_);
  ASSERT_TRUE(partial.Send("ab"));  // a request that never completes holds a slot otherwise
  EXPECT_TRUE(partial.Closed(3000));
}

TEST_F(NetworkTest, RequestTimeoutClosesAPartialRequestButNotAnIdleConnection) {
  Worker::Options options;
  options.request_timeout_s = 0.3;
  StartServer(options);
  Client partial(port_), idle(port_);
  ASSERT_TRUE(idle.Send("a\n"));
  EXPECT_EQ(idle.Receive(7), "echo:a\n");
  ASSERT_TRUE(partial.Send("abc"));
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(partial.Closed(3000));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(250));
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(idle.Send("b\n"));
  EXPECT_EQ(idle.Receive(7), "echo:b\n");
}

TEST_F(NetworkTest, RequestTimeoutCountsFromTheRequestsFirstByte) {
  Worker::Options options;
  options.request_timeout_s = 0.5;
  StartServer(options);
  Client c(port_);
  // Each byte arrives in time for the byte before, but the request as a whole does not.
  ASSERT_TRUE(c.Send("a"));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    if (!c.Send("a")) break;
  }
  EXPECT_TRUE(c.Closed(1000));
}

TEST_F(NetworkTest, ConnectionsBeyondMaxConnsAreClosed) {
  StartServer({}, /*max_conns=*/2);
  Client a(port_), b(port_);
  ASSERT_TRUE(a.Send("a\n") && b.Send("b\n"));
  ASSERT_EQ(a.Receive(7), "echo:a\n");
  ASSERT_EQ(b.Receive(7), "echo:b\n");
  Client c(port_);
  EXPECT_TRUE(c.Closed());
  EXPECT_EQ(stats_.conns_rejected.load(), 1u);
  EXPECT_EQ(stats_.conns_current.load(), 2u);
  ASSERT_TRUE(a.Send("quit\n"));
  EXPECT_EQ(a.Receive(4), "bye\n");
  EXPECT_TRUE(a.Closed());
  for (int i = 0; i < 100 && stats_.conns_current.load() != 1; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  Client d(port_);
  ASSERT_TRUE(d.Send("d\n"));
  EXPECT_EQ(d.Receive(7), "echo:d\n");
  EXPECT_EQ(stats_.conns_total.load(), 3u);
}

// A TLS client on a blocking socket (no certificate check: the test made
// the server's certificate).
class TlsClient {
 public:
  explicit TlsClient(int port) : plain_(std::make_unique<Client>(port)) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    ssl_ = SSL_new(ctx_);
    if (!plain_->connected() || SSL_set_fd(ssl_, plain_->fd()) != 1 || SSL_connect(ssl_) != 1) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  bool connected() const { return ssl_ != nullptr; }
  // One TLS record per call for short `bytes`.
  bool Send(const std::string& bytes) {
    return SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) ==
           static_cast<int>(bytes.size());
  }
  // Up to n bytes; shorter on EOF or error (the socket has no deadline:
  // for replies the server sends at once).
  std::string Receive(size_t n) {
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      int r = SSL_read(ssl_, out.data() + got, static_cast<int>(n - got));
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  }
  // Sends, under TLS, an application-data record whose content is not
  // encrypted under the session's keys: the server's TLS read fails (a reset
  // or a close without close_notify could pass for a dirty shutdown).
  bool SendCorruptRecord() {
    return plain_->Send(std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, '\0'));
  }

 private:
  std::unique_ptr<Client> plain_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

class TlsNetworkTest : public NetworkTest {
 protected:
  void SetUp() override {
    // As ttserver's main does: the bridges write to sockets with write(2),
    // and a client that reset its connection must cost an EPIPE only.
    signal(SIGPIPE, SIG_IGN);
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    Status s = TlsContext::Create({pki_.server.cert, pki_.server.key, ""}, &tls_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Returns once the single worker has run a full turn of its loop after
  // everything that reached the server before this call (two round trips on
  // a connection: the second is read in a later turn than the first).
  void WaitForAWorkerTurn() {
    TlsClient probe(port_);
    ASSERT_TRUE(probe.connected());
    ASSERT_TRUE(probe.Send("turn1\n"));
    ASSERT_EQ(probe.Receive(11), "echo:turn1\n");
    ASSERT_TRUE(probe.Send("turn2\n"));
    ASSERT_EQ(probe.Receive(11), "echo:turn2\n");
  }

  testing::TempDir dir_;
  testing::TestPki pki_{dir_.path()};
};

// The bridge of a TLS connection fails (a corrupt record) while the
// connection still has a request to answer, and that request hands the
// socket off: the bridge, gone already, must not be counted as a live
// stream, or the shutdown waits for the drain deadline.
TEST_F(TlsNetworkTest, HandOffAfterTheBridgeFailedDoesNotHoldUpShutdown) {
  Worker::Options options;
  options.drain_timeout_s = 30;
  StartServer(options, 100, 1);
  TlsClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("slow\nhandoff\n"));
  ASSERT_TRUE(gate_.WaitStarted(1));  // "handoff" waits behind the slow request
  ASSERT_TRUE(c.SendCorruptRecord());
  WaitForAWorkerTurn();  // the bridge has failed and finished
  gate_.Open();          // the connection now hands its socket off
  WaitForAWorkerTurn();
  auto stopped = std::async(std::launch::async, [&] { StopServer(); });
  // A hang check, not a measurement: a shutdown with nothing left to drain
  // takes milliseconds; the drain deadline is 30 s.
  EXPECT_EQ(stopped.wait_for(std::chrono::seconds(15)), std::future_status::ready)
      << "the shutdown waited for the drain deadline";
}

TEST_F(NetworkTest, ShutdownAnswersRequestsAlreadyReceived) {
  StartServer();
  Client c(port_);
  std::string requests, want;
  for (int i = 0; i < 1000; ++i) {
    requests += "q" + std::to_string(i) + "\n";
    want += "echo:q" + std::to_string(i) + "\n";
  }
  ASSERT_TRUE(c.Send("first\n"));
  ASSERT_EQ(c.Receive(11), "echo:first\n");
  ASSERT_TRUE(c.Send(requests + "partial"));
  std::this_thread::sleep_for(milliseconds(50));
  std::thread stopper([&] { StopServer(); });
  EXPECT_EQ(c.Receive(want.size() + 1), want);  // then EOF, not the partial request's reply
  stopper.join();
  EXPECT_TRUE(c.Closed(0));
  EXPECT_EQ(stats_.conns_current.load(), 0u);
  Client late(port_);
  EXPECT_FALSE(late.connected());
}

TEST_F(NetworkTest, UnixDomainSocketWhenPortBelowOne) {
  testing::TempDir dir;
  std::string path = dir.Join("tt.sock");
  StartServer({}, 100, 1, path, 0);
  {
    Client c(path);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.Send("u\n"));
    EXPECT_EQ(c.Receive(7), "echo:u\n");
  }
  StopServer();
  EXPECT_FALSE(std::filesystem::exists(path));  // unlinked at shutdown
}

TEST_F(NetworkTest, BusyPortFailsAtListen) {
  StartServer();
  Stats stats;
  Worker w(9, [](uint8_t, int) { return nullptr; }, &stats, {});
  Acceptor second({&w}, &stats, 10);
  EXPECT_FALSE(second.Listen("127.0.0.1", port_).ok());
}

TEST_F(NetworkTest, ConnectionCountersReturnToZero) {
  StartServer();
  {
    Client a(port_), b(port_);
    ASSERT_TRUE(a.Send("a\n") && b.Send("b\n"));
    a.Receive(7);
    b.Receive(7);
    EXPECT_EQ(stats_.conns_current.load(), 2u);
  }
  for (int i = 0; i < 100 && stats_.conns_current.load() != 0; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(stats_.conns_current.load(), 0u);
  EXPECT_EQ(stats_.conns_total.load(), 2u);
}

// ---- slow requests (ProtocolSession::Result::kDeferred) ----

TEST_F(NetworkTest, SlowRequestDoesNotStallTheOtherConnectionsOfItsWorker) {
  StartServer({}, 100, /*threads=*/1);
  Client slow(port_), other(port_);
  ASSERT_TRUE(slow.Send("slow\n"));
  ASSERT_TRUE(gate_.WaitStarted(1));
  ASSERT_TRUE(other.Send("x\n"));
  EXPECT_EQ(other.Receive(7, 1000), "echo:x\n");
  EXPECT_EQ(slow.Receive(1, 100), "");  // still running
  gate_.Open();
  EXPECT_EQ(slow.Receive(10), "slow-done\n");
  ASSERT_TRUE(slow.Send("y\n"));  // and the connection goes on
  EXPECT_EQ(slow.Receive(7), "echo:y\n");
}

TEST_F(NetworkTest, RequestsPipelinedBehindASlowOneAreAnsweredAfterItInOrder) {
  StartServer({}, 100, 1);
  Client c(port_);
  ASSERT_TRUE(c.Send("a\nslow\nb\nslow\nc\n"));
  ASSERT_TRUE(gate_.WaitStarted(1));
  EXPECT_EQ(c.Receive(7), "echo:a\n");  // the replies before it are not held back
  EXPECT_EQ(c.Receive(1, 200), "");     // b waits for the slow request
  EXPECT_EQ(gate_.started(), 1);        // and so does the second slow one
  gate_.Open();
  std::string want = "slow-done\necho:b\nslow-done\necho:c\n";
  EXPECT_EQ(c.Receive(want.size()), want);
  EXPECT_EQ(gate_.finished(), 2);
}

TEST_F(NetworkTest, HalfClosedPeerGetsTheRepliesBehindASlowRequest) {
  StartServer({}, 100, 1);
  Client c(port_);
  ASSERT_TRUE(c.Send("slow\nb\n"));
  shutdown(c.fd(), SHUT_WR);
  ASSERT_TRUE(gate_.WaitStarted(1));
  std::this_thread::sleep_for(milliseconds(100));
  gate_.Open();
  EXPECT_EQ(c.Receive(100), "slow-done\necho:b\n");
  EXPECT_TRUE(c.Closed(0));
}

TEST_F(NetworkTest, PeerClosingDuringASlowRequestIsHarmless) {
  StartServer({}, 100, 1);
  {
    Client closes(port_);
    ASSERT_TRUE(closes.Send("slow\nmore\n"));
    ASSERT_TRUE(gate_.WaitStarted(1));
  }
  {
    Client resets(port_);
    ASSERT_TRUE(resets.Send("slow\n"));
    ASSERT_TRUE(gate_.WaitStarted(2));
    linger abort{1, 0};  // close with RST
    setsockopt(resets.fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  }
  std::this_thread::sleep_for(milliseconds(100));
  gate_.Open();
  EXPECT_TRUE(WaitConnections(0));
  Client d(port_);
  ASSERT_TRUE(d.Send("d\n"));
  EXPECT_EQ(d.Receive(7), "echo:d\n");
}

TEST_F(NetworkTest, NoTimeoutFiresDuringASlowRequest) {
  Worker::Options options;
  options.idle_timeout_s = 0.2;
  options.request_timeout_s = 0.2;
  StartServer(options, 100, 1);
  Client c(port_);
  ASSERT_TRUE(c.Send("slow\npartial"));
  ASSERT_TRUE(gate_.WaitStarted(1));
  std::this_thread::sleep_for(milliseconds(600));
  gate_.Open();
  EXPECT_EQ(c.Receive(10), "slow-done\n");
  EXPECT_TRUE(c.Closed(2000));  // the clocks run again once the reply is out
}

TEST_F(NetworkTest, FailedSlowRequestClosesItsConnection) {
  StartServer({}, 100, 1);
  Client c(port_);
  ASSERT_TRUE(c.Send("a\nthrow\nb\n"));
  EXPECT_EQ(c.Receive(100), "echo:a\n");
  EXPECT_TRUE(c.Closed());
  Client d(port_);
  ASSERT_TRUE(d.Send("d\n"));
  EXPECT_EQ(d.Receive(7), "echo:d\n");
}

TEST_F(NetworkTest, ShutdownWaitsForASlowRequestAndSendsItsReply) {
  StartServer({}, 100, 1);
  Client c(port_);
  ASSERT_TRUE(c.Send("slow\nafter\n"));
  ASSERT_TRUE(gate_.WaitStarted(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    StopServer();
    stopped = true;
  });
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(stopped.load());
  gate_.Open();
  std::string want = "slow-done\necho:after\n";
  EXPECT_EQ(c.Receive(want.size() + 1), want);  // then EOF
  stopper.join();
  EXPECT_EQ(gate_.finished(), 1);
  EXPECT_EQ(stats_.conns_current.load(), 0u);
}

TEST_F(NetworkTest, ShutdownPastTheDrainDeadlineStillWaitsForTheJob) {
  Worker::Options options;
  options.drain_timeout_s = 0.1;
  StartServer(options, 100, 1);
  Client c(port_), idle(port_);
  ASSERT_TRUE(idle.Send("i\n"));
  ASSERT_EQ(idle.Receive(7), "echo:i\n");
  ASSERT_TRUE(c.Send("slow\n"));
  ASSERT_TRUE(gate_.WaitStarted(1));
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    StopServer();
    stopped = true;
  });
  EXPECT_TRUE(c.Closed(2000));  // force-closed at the deadline, job or not
  EXPECT_TRUE(idle.Closed(0));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(stopped.load());  // but the job still holds the worker
  gate_.Open();
  stopper.join();
  EXPECT_EQ(gate_.finished(), 1);
  EXPECT_EQ(stats_.conns_current.load(), 0u);
}

}  // namespace
}  // namespace tt
