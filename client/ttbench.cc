// ttbench: a load generator for ttserver's binary protocol and for memcached's
// text protocol, so the same run can be pointed at ttserver and at the
// reference memcached. Each connection runs on its own thread with blocking
// I/O: it sends a batch of --pipeline requests in one write, then reads the
// batch's replies. Latency is measured per batch (from the batch's send to its
// last reply), which with --pipeline 1 is per request.
//
// Lag mode (--mode lag, see RunLag) measures replication lag instead: one
// thread writes to the master at a paced --rate, each value carrying its send
// time, and another reads the replication stream of the slave (which keeps
// an update log, so it serves repl like a master) and takes receive time -
// send time for every record of this run.
//
// Output: one human-readable line, then one line of key=value pairs for
// scripts (see PrintReport). Exit status 0 when every request succeeded.
#include <fcntl.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <latch>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/remote_db.h"
#include "client/requests.h"
#include "client/socket.h"
#include "common/coding.h"
#include "common/commands.h"
#include "ulog/record.h"

namespace tt::bench {
namespace {

enum class Protocol { kTt, kMemcached };
enum class Mode { kWrite, kRead, kMixed };

struct Config {
  std::string host = "127.0.0.1";
  int port = 1978;
  std::string protocol = "tt";
  std::string mode = "write";
  double read_ratio = 0.9;
  std::string keys = "seq";
  int conns = 1;
  int pipeline = 1;
  int key_size = 16;
  int value_size = 100;
  uint64_t requests = 100000;
  double duration_s = 0;
  uint64_t keyspace = 0;
  uint64_t seed = 1;
  int server_pid = 0;
  bool populate = false;
  bool no_populate = false;
  double timeout_s = 10;
  // Lag mode.
  std::string slave_host;  // default: host
  int slave_port = 0;
  double rate = 1000;
  int repl_sid = 65000;

  Protocol proto() const { return protocol == "memcached" ? Protocol::kMemcached : Protocol::kTt; }
  Mode op_mode() const {
    return mode == "read" ? Mode::kRead : mode == "mixed" ? Mode::kMixed : Mode::kWrite;
  }
};

using Clock = std::chrono::steady_clock;

std::string MakeKey(uint64_t index, int width) {
  std::string digits = std::to_string(index);
  if (digits.size() >= static_cast<size_t>(width)) return digits;
  return std::string(static_cast<size_t>(width) - digits.size(), '0') + digits;
}

// A blocking connection with an input buffer and reply parsers for both protocols.
class Conn {
 public:
  Conn() = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() {
    if (fd_ >= 0) close(fd_);
  }

  Status Open(const Config& cfg) {
    Status s = ConnectTcp(cfg.host, cfg.port, cfg.timeout_s, &fd_,
                          cfg.proto() == Protocol::kTt ? "ttserver" : "memcached");
    if (!s.ok()) return s;
    int flags = fcntl(fd_, F_GETFL);
    fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(cfg.timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((cfg.timeout_s - std::floor(cfg.timeout_s)) * 1e6);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    timeout_s_ = cfg.timeout_s;
    return Status::Ok();
  }

  Status Send(std::string_view data) {
    return SendAll(fd_, data, Deadline::After(timeout_s_), "sending to the server");
  }

  // Outcome of one reply.
  enum class Reply { kOk, kMiss, kError };

  // Reads one reply of the given protocol and kind (`read` = get, else a store).
  Status ReadReply(Protocol proto, bool read, Reply* reply) {
    return proto == Protocol::kTt ? ReadTt(read, reply) : ReadMemcached(read, reply);
  }

 private:
  Status Need(size_t n) {
    while (buf_.size() - pos_ < n) {
      if (pos_ > 0) {
        buf_.erase(0, pos_);
        pos_ = 0;
      }
      size_t old = buf_.size();
      size_t want = std::max<size_t>(65536, n);
      buf_.resize(old + want);
      size_t got = 0;
      Status s = ReceiveSome(fd_, buf_.data() + old, want, Deadline::After(timeout_s_),
                             "receiving the reply", &got);
      buf_.resize(old + got);
      if (!s.ok()) return s;
      if (got == 0) return Status::Network("server closed the connection");
    }
    return Status::Ok();
  }

  // One CRLF-terminated line (without the CRLF).
  Status Line(std::string* line) {
    for (;;) {
      size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        line->assign(buf_, pos_, eol - pos_);
        pos_ = eol + 2;
        return Status::Ok();
      }
      if (buf_.size() - pos_ > 4096) return Status::Protocol("reply line over 4 KiB");
      Status s = Need(buf_.size() - pos_ + 1);
      if (!s.ok()) return s;
    }
  }

  Status ReadTt(bool read, Reply* reply) {
    Status s = Need(1);
    if (!s.ok()) return s;
    uint8_t status = static_cast<uint8_t>(buf_[pos_++]);
    if (status > 1) return Status::Protocol("unexpected status byte");
    if (!read) {
      *reply = status == 0 ? Reply::kOk : Reply::kError;
      return Status::Ok();
    }
    if (status == 1) {
      *reply = Reply::kMiss;
      return Status::Ok();
    }
    s = Need(4);
    if (!s.ok()) return s;
    uint32_t len = DecodeU32(buf_.data() + pos_);
    pos_ += 4;
    if (len > (256u << 20)) return Status::Protocol("value length over 256 MiB");
    s = Need(len);
    if (!s.ok()) return s;
    pos_ += len;
    *reply = Reply::kOk;
    return Status::Ok();
  }

  Status ReadMemcached(bool read, Reply* reply) {
    std::string line;
    Status s = Line(&line);
    if (!s.ok()) return s;
    if (!read) {
      *reply = line == "STORED" ? Reply::kOk : Reply::kError;
      return Status::Ok();
    }
    if (line == "END") {
      *reply = Reply::kMiss;
      return Status::Ok();
    }
    if (line.compare(0, 6, "VALUE ") != 0) {
      *reply = Reply::kError;
      return Status::Ok();
    }
    // VALUE <key> <flags> <bytes> [<cas>]
    std::istringstream fields(line);
    std::string word, key, flags;
    uint64_t bytes = 0;
    fields >> word >> key >> flags >> bytes;
    if (!fields || bytes > (256u << 20)) return Status::Protocol("bad VALUE line: " + line);
    s = Need(bytes + 2);
    if (!s.ok()) return s;
    pos_ += bytes + 2;
    s = Line(&line);
    if (!s.ok()) return s;
    if (line != "END") return Status::Protocol("expected END after the value, got: " + line);
    *reply = Reply::kOk;
    return Status::Ok();
  }

  int fd_ = -1;
  double timeout_s_ = 0;  // bounds each send and each wait for reply bytes
  std::string buf_;
  size_t pos_ = 0;
};

void AppendRequest(Protocol proto, bool read, const std::string& key, const std::string& value,
                   std::string* out) {
  if (proto == Protocol::kTt) {
    out->append(read ? requests::Key(kCmdGet, key) : requests::KeyValue(kCmdPut, key, value));
    return;
  }
  if (read) {
    out->append("get ").append(key).append("\r\n");
  } else {
    out->append("set ").append(key).append(" 0 0 ").append(std::to_string(value.size()));
    out->append("\r\n").append(value).append("\r\n");
  }
}

struct ThreadResult {
  uint64_t ops = 0;
  uint64_t errors = 0;
  uint64_t misses = 0;
  std::vector<uint32_t> latency_ns;  // one sample per batch
  std::string fatal;                 // why the thread stopped early, if it did
};

// What one thread does: `count` operations (or until `stop`), op j of this
// thread using global index thread + j * conns.
struct Job {
  int thread = 0;
  uint64_t count = 0;     // operations; ignored when running for a duration
  bool populate = false;  // write keys [thread, thread+conns, ...) < keyspace, unmeasured
};

void RunThread(const Config& cfg, const Job& job, Conn* conn, const std::string& value,
               const std::atomic<bool>* stop, ThreadResult* result) {
  const Protocol proto = cfg.proto();
  const Mode mode = job.populate ? Mode::kWrite : cfg.op_mode();
  const bool random_keys = !job.populate && cfg.keys == "random";
  const bool timed = !job.populate && cfg.duration_s > 0;
  std::mt19937_64 rng(cfg.seed * 1000003 + static_cast<uint64_t>(job.thread) * 7919 +
                      (job.populate ? 17 : 0));
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::uniform_int_distribution<uint64_t> pick(0, cfg.keyspace - 1);
  std::string batch;
  std::vector<bool> is_read(static_cast<size_t>(cfg.pipeline));
  uint64_t done = 0;
  if (!job.populate) result->latency_ns.reserve(std::min<uint64_t>(job.count, 1 << 22));
  while (timed ? !stop->load(std::memory_order_relaxed) : done < job.count) {
    uint64_t n = timed ? static_cast<uint64_t>(cfg.pipeline)
                       : std::min<uint64_t>(static_cast<uint64_t>(cfg.pipeline), job.count - done);
    batch.clear();
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t global =
          static_cast<uint64_t>(job.thread) + (done + i) * static_cast<uint64_t>(cfg.conns);
      uint64_t index = random_keys ? pick(rng) : global % cfg.keyspace;
      bool read = mode == Mode::kRead || (mode == Mode::kMixed && coin(rng) < cfg.read_ratio);
      is_read[i] = read;
      AppendRequest(proto, read, MakeKey(index, cfg.key_size), value, &batch);
    }
    auto start = Clock::now();
    Status s = conn->Send(batch);
    for (uint64_t i = 0; s.ok() && i < n; ++i) {
      Conn::Reply reply = Conn::Reply::kError;
      s = conn->ReadReply(proto, is_read[i], &reply);
      if (!s.ok()) break;
      if (reply == Conn::Reply::kError) ++result->errors;
      if (reply == Conn::Reply::kMiss) ++result->misses;
    }
    if (!s.ok()) {
      result->fatal = s.ToString();
      return;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    if (!job.populate) {
      result->latency_ns.push_back(
          static_cast<uint32_t>(std::min<int64_t>(ns, std::numeric_limits<uint32_t>::max())));
    }
    done += n;
    result->ops += n;
  }
}

// utime + stime of `pid` in seconds, from /proc/PID/stat.
std::optional<double> ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) is parenthesised and may hold spaces: parse after the last ')'.
  size_t paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields 3..13 precede utime (14) and stime (15).
  for (int i = 3; i <= 13 && fields >> field; ++i) {
  }
  if (!(fields >> utime >> stime)) return std::nullopt;
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return std::nullopt;
  return static_cast<double>(utime + stime) / static_cast<double>(ticks);
}

// Runs one phase on `conns`; returns the merged result and the wall time.
ThreadResult RunPhase(const Config& cfg, std::vector<Conn>& conns, bool populate,
                      const std::string& value, double* seconds) {
  const int n = cfg.conns;
  std::vector<ThreadResult> results(static_cast<size_t>(n));
  std::atomic<bool> stop{false};
  std::latch ready(n + 1);
  std::latch go(1);
  std::vector<std::thread> threads;
  const uint64_t total = populate ? cfg.keyspace : cfg.requests;
  for (int t = 0; t < n; ++t) {
    Job job;
    job.thread = t;
    job.populate = populate;
    job.count = total / static_cast<uint64_t>(n) +
                (static_cast<uint64_t>(t) < total % static_cast<uint64_t>(n) ? 1 : 0);
    threads.emplace_back([&, job] {
      ready.count_down();
      go.wait();
      RunThread(cfg, job, &conns[static_cast<size_t>(job.thread)], value, &stop,
                &results[static_cast<size_t>(job.thread)]);
    });
  }
  ready.arrive_and_wait();
  auto start = Clock::now();
  go.count_down();
  if (!populate && cfg.duration_s > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(cfg.duration_s));
    stop.store(true);
  }
  for (std::thread& t : threads) t.join();
  *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ThreadResult merged;
  for (ThreadResult& r : results) {
    merged.ops += r.ops;
    merged.errors += r.errors;
    merged.misses += r.misses;
    merged.latency_ns.insert(merged.latency_ns.end(), r.latency_ns.begin(), r.latency_ns.end());
    if (merged.fatal.empty() && !r.fatal.empty()) merged.fatal = r.fatal;
  }
  return merged;
}

double PercentileUs(std::vector<uint32_t>& samples, double p) {
  if (samples.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size()) - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(rank), samples.end());
  return samples[rank] / 1000.0;
}

// ---- Lag mode --------------------------------------------------------------

// Wall-clock µs since the epoch (CLOCK_REALTIME): the writer and the reader
// run on the same host, so send and receive times share this clock.
uint64_t RealtimeMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

double PercentileOf(std::vector<uint64_t>& samples, double p) {
  if (samples.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size()) - 1;
  std::nth_element(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(rank), samples.end());
  return static_cast<double>(samples[rank]);
}

// How long the reader keeps waiting after the last write for records not
// seen yet; a write still unseen then counts as missing.
constexpr double kLagGraceSeconds = 5.0;

// --mode lag: write `total` keys "<prefix><i>" to the master at cfg.rate per
// second (write i is scheduled at start + i/rate; the writer sleeps until
// then, so a slow reply delays later writes but never makes them burst
// beyond catching up), each value = 8-byte big-endian send time in µs
// (CLOCK_REALTIME) + padding to --value-size. The reader follows the slave's
// replication stream from the run's start (sid cfg.repl_sid) and records,
// for the first sighting of each key of this run, receive time - send time.
int RunLag(const Config& cfg) {
  const std::string slave_host = cfg.slave_host.empty() ? cfg.host : cfg.slave_host;
  const uint64_t total = cfg.duration_s > 0
                             ? static_cast<uint64_t>(std::ceil(cfg.duration_s * cfg.rate))
                             : cfg.requests;
  if (total > (uint64_t{1} << 28)) {
    fprintf(stderr, "ttbench: error: lag mode: %" PRIu64 " writes is too many (max 2^28)\n",
            total);
    return 1;
  }
  const uint64_t run_id = RealtimeMicros();
  const std::string prefix = "ttbench-lag-" + std::to_string(run_id) + "-";

  RemoteDB master;
  Status s = master.Open(cfg.host, cfg.port, cfg.timeout_s);
  if (!s.ok()) {
    fprintf(stderr, "ttbench: error: master %s:%d: %s\n", cfg.host.c_str(), cfg.port,
            s.message().c_str());
    return 1;
  }
  RemoteDB slave;
  s = slave.Open(slave_host, cfg.slave_port, cfg.timeout_s);
  uint32_t slave_sid = 0;
  if (s.ok()) s = slave.ReplStart(run_id, cfg.repl_sid, &slave_sid);
  if (!s.ok()) {
    fprintf(stderr, "ttbench: error: replication stream from slave %s:%d: %s\n",
            slave_host.c_str(), cfg.slave_port, s.message().c_str());
    return 1;
  }

  // Written by the reader only, read after it is joined.
  std::vector<int64_t> lag_us(total, -1);
  uint64_t seen = 0;
  std::string reader_error;
  std::atomic<bool> reader_done{false};
  std::atomic<bool> stopping{false};
  std::thread reader([&] {
    UlogRecord record;
    ParsedBody body;
    while (seen < total) {
      bool nop = false;
      Status rs = slave.ReplNext(&record, &nop, 0);
      if (!rs.ok()) {
        if (!stopping.load()) reader_error = rs.ToString();
        break;
      }
      const uint64_t now = RealtimeMicros();
      if (nop || !ParseBody(record.body, &body).ok()) continue;
      if ((body.command != kCmdPut && body.command != kRecordPutMeta) ||
          body.value.size() < 8 || body.key.substr(0, prefix.size()) != prefix) {
        continue;
      }
      std::string_view digits = body.key.substr(prefix.size());
      uint64_t index = 0;
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (ec != std::errc() || end != digits.data() + digits.size() || index >= total ||
          lag_us[index] >= 0) {
        continue;
      }
      const uint64_t sent = DecodeU64(body.value.data());
      lag_us[index] = now > sent ? static_cast<int64_t>(now - sent) : 0;
      ++seen;
    }
    reader_done.store(true);
  });

  // The writer (this thread).
  std::string value(static_cast<size_t>(cfg.value_size), 'x');
  for (size_t i = 8; i < value.size(); ++i) value[i] = static_cast<char>('a' + (i * 7) % 26);
  std::vector<bool> written(total, false);
  uint64_t ops = 0, errors = 0;
  std::string fatal;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < total; ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / cfg.rate)));
    EncodeU64(value.data(), RealtimeMicros());
    Status ws = master.Put(prefix + std::to_string(i), value);
    if (ws.ok()) {
      written[i] = true;
      ++ops;
    } else if (ws.code() == Status::Code::kFailed) {
      ++errors;
    } else {
      fatal = ws.ToString();
      break;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();

  // Wait for the stragglers, then stop the reader.
  const auto grace_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(kLagGraceSeconds));
  while (!reader_done.load() && Clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stopping.store(true);
  slave.Interrupt();
  reader.join();

  std::vector<uint64_t> samples;
  samples.reserve(seen);
  uint64_t missing = 0;
  for (uint64_t i = 0; i < total; ++i) {
    if (lag_us[i] >= 0) {
      samples.push_back(static_cast<uint64_t>(lag_us[i]));
    } else if (written[i]) {
      ++missing;
    }
  }
  const double ops_per_s = secs > 0 ? static_cast<double>(ops) / secs : 0;
  const double p50 = PercentileOf(samples, 0.50);
  const double p99 = PercentileOf(samples, 0.99);
  const double p999 = PercentileOf(samples, 0.999);
  const double max =
      samples.empty() ? 0 : static_cast<double>(*std::max_element(samples.begin(), samples.end()));
  printf("ttbench: tt lag, rate %.0f/s, master %s:%d -> slave %s:%d (sid %u): %" PRIu64
         " writes in %.3f s = %.0f ops/s; replication lag p50 %.0f us, p99 %.0f us, p99.9 %.0f "
         "us, max %.0f us; %" PRIu64 " errors, %" PRIu64 " missing\n",
         cfg.rate, cfg.host.c_str(), cfg.port, slave_host.c_str(), cfg.slave_port, slave_sid, ops,
         secs, ops_per_s, p50, p99, p999, max, errors, missing);
  printf("proto=tt mode=lag rate=%.1f value_size=%d ops=%" PRIu64 " errors=%" PRIu64
         " secs=%.6f ops_per_s=%.1f seen=%zu missing=%" PRIu64
         " lag_p50_us=%.0f lag_p99_us=%.0f lag_p999_us=%.0f lag_max_us=%.0f\n",
         cfg.rate, cfg.value_size, ops, errors, secs, ops_per_s, samples.size(), missing, p50, p99,
         p999, max);
  fflush(stdout);
  if (fatal.empty() && total > 1 && ops_per_s < 0.95 * cfg.rate) {
    fprintf(stderr,
            "ttbench: warning: the writer fell behind: %.0f writes/s of the %.0f asked for "
            "(one connection, one put at a time)\n",
            ops_per_s, cfg.rate);
  }
  if (!fatal.empty()) {
    fprintf(stderr, "ttbench: error: the master connection failed: %s\n", fatal.c_str());
    return 1;
  }
  if (!reader_error.empty()) {
    fprintf(stderr, "ttbench: error: the slave's replication stream failed: %s\n",
            reader_error.c_str());
    return 1;
  }
  if (missing > 0) {
    fprintf(stderr,
            "ttbench: error: %" PRIu64 " writes not seen on the slave within %.0f s of the last\n",
            missing, kLagGraceSeconds);
    return 1;
  }
  return errors > 0 ? 1 : 0;
}

int Main(int argc, char** argv) {
  Config cfg;
  CLI::App app{
      "ttbench: load generator for ttserver (binary protocol) and memcached (text protocol).\n"
      "Each connection runs on its own thread and sends --pipeline requests before reading\n"
      "their replies. Latency percentiles are per request with --pipeline 1; with a deeper\n"
      "pipeline they are per batch (send of the batch to its last reply).\n"
      "Prints a human line and a key=value line (proto mode keys conns pipeline key_size\n"
      "value_size ops errors misses secs ops_per_s p50_us p99_us p999_us latency\n"
      "[cpu_s cpu_us_per_op]).\n"
      "--mode lag --slave-port P measures replication lag: one thread puts to the master\n"
      "(--host/--port) at a paced --rate, each value starting with its send time (8 bytes,\n"
      "µs); another follows the slave's replication stream (the slave needs -ulog) and\n"
      "takes receive - send time per key. Key=value line: proto mode rate value_size ops\n"
      "errors secs ops_per_s seen missing lag_p50_us lag_p99_us lag_p999_us lag_max_us;\n"
      "missing = writes not seen on the slave within 5 s of the last (exit status 1)."};
  app.add_option("--host", cfg.host, "server address")->capture_default_str();
  app.add_option("--port", cfg.port, "server port")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--protocol", cfg.protocol, "tt (binary put/get) or memcached (text set/get)")
      ->capture_default_str()
      ->check(CLI::IsMember({"tt", "memcached"}));
  app.add_option("--mode", cfg.mode,
                 "write, read (keys are written first so reads hit), mixed, or lag "
                 "(replication lag master -> slave; needs --slave-port)")
      ->capture_default_str()
      ->check(CLI::IsMember({"write", "read", "mixed", "lag"}));
  app.add_option("--ratio", cfg.read_ratio, "fraction of reads in mixed mode")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--keys", cfg.keys, "key order: seq or random (uniform over the key space)")
      ->capture_default_str()
      ->check(CLI::IsMember({"seq", "random"}));
  app.add_option("--conns", cfg.conns, "connections, one thread each")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  app.add_option("--pipeline", cfg.pipeline,
                 "requests sent per batch before reading the replies; latency is then "
                 "measured per batch")
      ->capture_default_str()
      ->check(CLI::Range(1, 65536));
  app.add_option("--key-size", cfg.key_size, "key length in bytes (zero-padded decimal)")
      ->capture_default_str()
      ->check(CLI::Range(1, 250));
  app.add_option("--value-size", cfg.value_size, "value length in bytes")
      ->capture_default_str()
      ->check(CLI::Range(0, 64 << 20));
  app.add_option("--requests", cfg.requests, "total requests over all connections")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_option("--duration", cfg.duration_s,
                 "run for this many seconds instead of a request count")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--keyspace", cfg.keyspace,
                 "distinct keys (default: --requests, or 100000 with --duration)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_option("--seed", cfg.seed, "random seed (keys, mixed-mode choices)")
      ->capture_default_str();
  app.add_option("--server-pid", cfg.server_pid,
                 "report this process's CPU time (utime+stime) used during the run");
  app.add_flag("--populate", cfg.populate,
               "write the key space before the measured run (the default in read and mixed "
               "mode; in write mode the run then overwrites existing keys)");
  app.add_flag("--no-populate", cfg.no_populate,
               "read/mixed: do not write the key space before the measured run")
      ->excludes("--populate");
  app.add_option("--timeout", cfg.timeout_s, "connect and per-reply timeout in seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--slave-host", cfg.slave_host, "lag mode: the slave's address (default: --host)");
  app.add_option("--slave-port", cfg.slave_port,
                 "lag mode: the slave's port (the slave must run with an update log)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--rate", cfg.rate, "lag mode: writes per second, paced")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1e7));
  app.add_option("--repl-sid", cfg.repl_sid,
                 "lag mode: server id of the replication stream read from the slave; must "
                 "differ from the master's and the slave's")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.set_version_flag("--version", std::string("ttbench (ttserver ") + TT_VERSION + ")");
  CLI11_PARSE(app, argc, argv);

  if (cfg.mode == "lag") {
    const char* bad = nullptr;
    if (cfg.slave_port == 0) {
      bad = "--mode lag needs --slave-port";
    } else if (cfg.protocol != "tt") {
      bad = "--mode lag works with --protocol tt only";
    } else if (cfg.value_size < 8) {
      bad = "--mode lag needs --value-size >= 8 (the send time)";
    } else if (cfg.conns != 1 || cfg.pipeline != 1) {
      bad = "--mode lag uses one connection (--conns 1) and no pipeline (--pipeline 1)";
    }
    if (bad != nullptr) {
      fprintf(stderr, "ttbench: error: %s\n", bad);
      return 1;
    }
    return RunLag(cfg);
  }

  if (cfg.keyspace == 0) cfg.keyspace = cfg.duration_s > 0 ? 100000 : cfg.requests;
  if (MakeKey(cfg.keyspace - 1, 0).size() > static_cast<size_t>(cfg.key_size)) {
    fprintf(stderr, "ttbench: error: --key-size %d cannot hold %" PRIu64 " distinct keys\n",
            cfg.key_size, cfg.keyspace);
    return 1;
  }
  std::string value(static_cast<size_t>(cfg.value_size), 'x');
  for (size_t i = 0; i < value.size(); ++i)
    value[i] = static_cast<char>('a' + (i * 7 + cfg.seed) % 26);

  std::vector<Conn> conns(static_cast<size_t>(cfg.conns));
  for (Conn& c : conns) {
    Status s = c.Open(cfg);
    if (!s.ok()) {
      fprintf(stderr, "ttbench: error: %s\n", s.message().c_str());
      return 1;
    }
  }
  const Mode mode = cfg.op_mode();
  if ((mode != Mode::kWrite || cfg.populate) && !cfg.no_populate) {
    double secs = 0;
    ThreadResult pop = RunPhase(cfg, conns, true, value, &secs);
    if (!pop.fatal.empty() || pop.errors > 0) {
      fprintf(stderr,
              "ttbench: error: populating %" PRIu64 " keys failed: %s (%" PRIu64
              " error replies)\n",
              cfg.keyspace, pop.fatal.c_str(), pop.errors);
      return 1;
    }
  }
  std::optional<double> cpu_before;
  if (cfg.server_pid > 0) {
    cpu_before = ProcessCpuSeconds(cfg.server_pid);
    if (!cpu_before) {
      fprintf(stderr, "ttbench: error: cannot read /proc/%d/stat\n", cfg.server_pid);
      return 1;
    }
  }
  double secs = 0;
  ThreadResult r = RunPhase(cfg, conns, false, value, &secs);
  std::optional<double> cpu_s;
  if (cpu_before) {
    std::optional<double> after = ProcessCpuSeconds(cfg.server_pid);
    if (after) cpu_s = *after - *cpu_before;
  }

  const double ops_per_s = secs > 0 ? static_cast<double>(r.ops) / secs : 0;
  const double p50 = PercentileUs(r.latency_ns, 0.50);
  const double p99 = PercentileUs(r.latency_ns, 0.99);
  const double p999 = PercentileUs(r.latency_ns, 0.999);
  const char* latency_unit = cfg.pipeline > 1 ? "batch" : "request";
  printf("ttbench: %s %s %s keys, %d conns, pipeline %d: %" PRIu64
         " ops in %.3f s = %.0f ops/s;"
         " latency per %s p50 %.1f us, p99 %.1f us, p99.9 %.1f us; %" PRIu64 " errors, %" PRIu64
         " misses",
         cfg.protocol.c_str(), cfg.mode.c_str(), cfg.keys.c_str(), cfg.conns, cfg.pipeline, r.ops,
         secs, ops_per_s, latency_unit, p50, p99, p999, r.errors, r.misses);
  if (cpu_s) {
    printf("; server CPU %.3f s = %.2f us/op", *cpu_s,
           r.ops > 0 ? *cpu_s * 1e6 / static_cast<double>(r.ops) : 0.0);
  }
  printf("\n");
  printf("proto=%s mode=%s keys=%s conns=%d pipeline=%d key_size=%d value_size=%d ops=%" PRIu64
         " errors=%" PRIu64 " misses=%" PRIu64
         " secs=%.6f ops_per_s=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f latency=%s",
         cfg.protocol.c_str(), cfg.mode.c_str(), cfg.keys.c_str(), cfg.conns, cfg.pipeline,
         cfg.key_size, cfg.value_size, r.ops, r.errors, r.misses, secs, ops_per_s, p50, p99, p999,
         latency_unit);
  if (cpu_s) {
    printf(" cpu_s=%.3f cpu_us_per_op=%.3f", *cpu_s,
           r.ops > 0 ? *cpu_s * 1e6 / static_cast<double>(r.ops) : 0.0);
  }
  printf("\n");
  fflush(stdout);
  if (!r.fatal.empty()) {
    fprintf(stderr, "ttbench: error: a connection failed: %s\n", r.fatal.c_str());
    return 1;
  }
  return r.errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace tt::bench

int main(int argc, char** argv) { return tt::bench::Main(argc, argv); }
