// One store behind every protocol of the data port: a value written through
// any of Tokyo Tyrant binary, memcached text, memcached binary, HTTP and RESP
// reads back byte-identical through each of them; and what memcached stores
// beside the value (flags, expiry, cas) survives a restart, clean or after
// kill -9.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <thread>

#include "client/remote_db.h"
#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

struct McItem {
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
};

// `gets key` over memcached text; nullopt when the server reports a miss
// (and a test failure when the reply is not well-formed).
std::optional<McItem> McGets(RawConnection& conn, const std::string& key) {
  if (!conn.Send("gets " + key + "\r\n")) return std::nullopt;
  std::string line = conn.ReceiveUntil("\r\n");
  if (line == "END\r\n") return std::nullopt;
  McItem item;
  char name[256];
  size_t length = 0;
  unsigned long long cas = 0;
  if (std::sscanf(line.c_str(), "VALUE %255s %u %zu %llu", name, &item.flags, &length, &cas) != 4) {
    ADD_FAILURE() << "gets " << key << " -> " << line;
    return std::nullopt;
  }
  item.cas = cas;
  // The value may have come in with the first line.
  std::string rest = line.substr(line.find("\r\n") + 2);
  rest += conn.Receive(length + 7 - rest.size());  // value, \r\n, END\r\n
  EXPECT_EQ(rest.substr(length), "\r\nEND\r\n") << "gets " << key;
  item.value = rest.substr(0, length);
  return item;
}

// Writes and reads one key through one protocol.
class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::string Name() const = 0;
  virtual void Put(const std::string& key, const std::string& value) = 0;
  // nullopt if absent.
  virtual std::optional<std::string> Get(const std::string& key) = 0;
};

class TokyoTyrantBinary : public Protocol {
 public:
  explicit TokyoTyrantBinary(int port) { EXPECT_TRUE(db_.Open("127.0.0.1", port, 10).ok()); }
  std::string Name() const override { return "Tokyo Tyrant binary"; }
  void Put(const std::string& key, const std::string& value) override {
    Status s = db_.Put(key, value);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::optional<std::string> Get(const std::string& key) override {
    std::string value;
    Status s = db_.Get(key, &value);
    if (s.code() == Status::Code::kNotFound) return std::nullopt;
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

 private:
  RemoteDB db_;
};

class MemcachedText : public Protocol {
 public:
  explicit MemcachedText(int port) : conn_(port) {}
  std::string Name() const override { return "memcached text"; }
  void Put(const std::string& key, const std::string& value) override {
    EXPECT_EQ(TextExchange(conn_, "set " + key + " 0 0 " + std::to_string(value.size()) + "\r\n" +
                                      value + "\r\n"),
              "STORED\r\n");
  }
  std::optional<std::string> Get(const std::string& key) override {
    std::optional<McItem> item = McGets(conn_, key);
    if (!item) return std::nullopt;
    return item->value;
  }

 private:
  RawConnection conn_;
};

class MemcachedBinary : public Protocol {
 public:
  explicit MemcachedBinary(int port) : conn_(port) {}
  std::string Name() const override { return "memcached binary"; }
  void Put(const std::string& key, const std::string& value) override {
    mcbin::Response response;
    ASSERT_TRUE(conn_.Send(mcbin::Request(mcbin::kSet, key, value, mcbin::SetExtras(0, 0))));
    ASSERT_TRUE(mcbin::ReadResponse(conn_, &response));
    EXPECT_EQ(response.status, mcbin::kNoError);
  }
  std::optional<std::string> Get(const std::string& key) override {
    mcbin::Response response;
    EXPECT_TRUE(conn_.Send(mcbin::Request(mcbin::kGet, key)));
    EXPECT_TRUE(mcbin::ReadResponse(conn_, &response));
    if (response.status == mcbin::kKeyNotFound) return std::nullopt;
    EXPECT_EQ(response.status, mcbin::kNoError);
    return response.value;
  }

 private:
  RawConnection conn_;
};

class Http : public Protocol {
 public:
  Http(int port, const TempDir& dir) : port_(port), file_(dir.Join("http-body")) {}
  std::string Name() const override { return "HTTP"; }
  void Put(const std::string& key, const std::string& value) override {
    WriteWholeFile(file_, value);
    EXPECT_EQ(CurlStatus({"-T", file_}, Url(port_, "/" + key), file_ + ".reply"), 201);
  }
  std::optional<std::string> Get(const std::string& key) override {
    std::string body;
    const int status = CurlStatus({}, Url(port_, "/" + key), file_, &body);
    if (status == 404) return std::nullopt;
    EXPECT_EQ(status, 200);
    return body;
  }

 private:
  int port_;
  std::string file_;
};

class Resp : public Protocol {
 public:
  explicit Resp(int port) : conn_(port) {}
  std::string Name() const override { return "RESP"; }
  void Put(const std::string& key, const std::string& value) override {
    ASSERT_TRUE(conn_.Send(RespCommand({"SET", key, value})));
    EXPECT_EQ(conn_.Receive(5), "+OK\r\n");
  }
  std::optional<std::string> Get(const std::string& key) override {
    EXPECT_TRUE(conn_.Send(RespCommand({"GET", key})));
    const std::string head = conn_.ReceiveUntil("\r\n");
    if (head == "$-1\r\n") return std::nullopt;
    const size_t end = head.find("\r\n");
    if (!head.starts_with("$") || end == std::string::npos) {
      ADD_FAILURE() << "GET " << key << " -> " << head;
      return std::nullopt;
    }
    const size_t length = std::stoul(head.substr(1, end - 1));
    std::string rest = head.substr(end + 2);
    rest += conn_.Receive(length + 2 - rest.size());
    EXPECT_EQ(rest.substr(length), "\r\n") << "GET " << key;
    return rest.substr(0, length);
  }

 private:
  RawConnection conn_;
};

TEST(CrossProtocolTest, EveryProtocolReadsWhatEveryOtherWrote) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir);
  ASSERT_TRUE(server->started());
  std::vector<std::unique_ptr<Protocol>> protocols;
  protocols.push_back(std::make_unique<TokyoTyrantBinary>(server->port()));
  protocols.push_back(std::make_unique<MemcachedText>(server->port()));
  protocols.push_back(std::make_unique<MemcachedBinary>(server->port()));
  protocols.push_back(std::make_unique<Http>(server->port(), dir));
  protocols.push_back(std::make_unique<Resp>(server->port()));
  for (size_t w = 0; w < protocols.size(); ++w) {
    // Every byte value, CR LF included, and a key that needs no URL escaping.
    const std::string key = "cross-" + std::to_string(w);
    std::string value = "written by " + protocols[w]->Name() + "\r\n";
    for (int c = 0; c < 256; ++c) value.push_back(static_cast<char>(c));
    protocols[w]->Put(key, value);
    for (auto& reader : protocols) {
      std::optional<std::string> got = reader->Get(key);
      EXPECT_TRUE(got && *got == value)
          << "written by " << protocols[w]->Name() << ", read by " << reader->Name();
    }
  }
  // A key written by one protocol and deleted by another is gone for all.
  RawConnection mc(server->port());
  EXPECT_EQ(TextExchange(mc, "delete cross-0\r\n"), "DELETED\r\n");
  for (auto& reader : protocols) EXPECT_FALSE(reader->Get("cross-0")) << reader->Name();
}

// As in the original, the first byte of each request picks its protocol, so
// one connection may mix them: a Tokyo Tyrant binary put, a memcached set, an
// HTTP PUT, a binary get, a memcached binary get, a memcached get and RESP
// requests.
TEST(CrossProtocolTest, OneConnectionMayUseEveryProtocolRequestByRequest) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir);
  ASSERT_TRUE(server->started());
  RawConnection conn(server->port());
  std::string put("\xC8\x10\0\0\0\x01\0\0\0\x02" "abc", 13);
  ASSERT_TRUE(conn.Send(put));
  EXPECT_EQ(conn.Receive(1), std::string(1, '\0')) << "binary put";
  EXPECT_EQ(TextExchange(conn, "set m 5 0 5\r\nhello\r\n"), "STORED\r\n");
  ASSERT_TRUE(conn.Send("PUT /h HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyz"));
  std::string created = conn.ReceiveUntil("Created\n");
  EXPECT_TRUE(created.starts_with("HTTP/1.1 201 Created\r\n")) << created;
  ASSERT_TRUE(conn.Send(std::string("\xC8\x30\0\0\0\x01" "h", 7)));
  EXPECT_EQ(conn.Receive(8), std::string("\0\0\0\0\x03xyz", 8)) << "binary get";
  mcbin::Response response;
  ASSERT_TRUE(conn.Send(mcbin::Request(mcbin::kGet, "m")));
  ASSERT_TRUE(mcbin::ReadResponse(conn, &response));
  EXPECT_EQ(response.status, mcbin::kNoError);
  EXPECT_EQ(response.value, "hello");
  EXPECT_EQ(TextExchange(conn, "get a\r\n", "END\r\n"), "VALUE a 0 2\r\nbc\r\nEND\r\n");
  // RESP, multibulk and inline.
  EXPECT_EQ(TextExchange(conn, RespCommand({"GET", "m"}), "hello\r\n"), "$5\r\nhello\r\n");
  EXPECT_EQ(TextExchange(conn, "APPEND h 1\r\n"), ":4\r\n");
  EXPECT_EQ(TextExchange(conn, "get h\r\n", "END\r\n"), "VALUE h 0 4\r\nxyz1\r\nEND\r\n");
}

TEST(CrossProtocolTest, MemcachedFlagsReachTheMemcachedBinaryProtocol) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir);
  ASSERT_TRUE(server->started());
  RawConnection text(server->port());
  EXPECT_EQ(TextExchange(text, "set f 3735928559 0 2\r\nhi\r\n"), "STORED\r\n");
  RawConnection binary(server->port());
  mcbin::Response response;
  ASSERT_TRUE(binary.Send(mcbin::Request(mcbin::kGet, "f")));
  ASSERT_TRUE(mcbin::ReadResponse(binary, &response));
  EXPECT_EQ(response.status, mcbin::kNoError);
  EXPECT_EQ(response.extras, std::string("\xDE\xAD\xBE\xEF", 4));
  EXPECT_EQ(response.value, "hi");
  std::optional<McItem> item = McGets(text, "f");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->cas, response.cas) << "one cas for both protocols";
}

// memcached's `mg key t`: the remaining time to live, -1 for none.
long RemainingTtl(RawConnection& conn, const std::string& key) {
  std::string reply = TextExchange(conn, "mg " + key + " t\r\n");
  size_t at = reply.find(" t");
  if (!reply.starts_with("HD ") || at == std::string::npos) {
    ADD_FAILURE() << "mg " << key << " t -> " << reply;
    return 0;
  }
  return std::stol(reply.substr(at + 2));
}

class RestartTest : public ::testing::TestWithParam<int> {};

TEST_P(RestartTest, FlagsExpiryAndCasSurvive) {
  SKIP_UNLESS_TTSERVER();
  const int signal = GetParam();
  TempDir dir;
  std::vector<std::string> args = UlogArgs(dir);
  // After kill -9 only what reached the files counts: have every write there
  // before its reply, so that the test is about recovery, not sync policy.
  if (signal == SIGKILL) args.insert(args.end(), {"--ulog-sync", "always"});
  auto server = StartTtserver(dir, args);
  ASSERT_TRUE(server->started());
  std::optional<McItem> before;
  std::chrono::steady_clock::time_point short_set;
  {
    RawConnection conn(server->port());
    EXPECT_EQ(TextExchange(conn, "set keep 42 3600 5\r\nhello\r\n"), "STORED\r\n");
    EXPECT_EQ(TextExchange(conn, "set forever 7 0 3\r\nabc\r\n"), "STORED\r\n");
    EXPECT_EQ(TextExchange(conn, "set short 9 2 3\r\nbye\r\n"), "STORED\r\n");
    short_set = std::chrono::steady_clock::now();
    before = McGets(conn, "keep");
    ASSERT_TRUE(before);
  }
  if (signal == SIGKILL) {
    server->Kill();
  } else {
    EXPECT_EQ(server->Stop(signal), 0);
  }

  auto restarted = StartTtserver(dir, args);
  ASSERT_TRUE(restarted->started());
  RawConnection conn(restarted->port());
  std::optional<McItem> after = McGets(conn, "keep");
  ASSERT_TRUE(after) << "keep lost in the restart";
  EXPECT_EQ(after->value, "hello");
  EXPECT_EQ(after->flags, 42u);
  EXPECT_EQ(after->cas, before->cas);
  long ttl = RemainingTtl(conn, "keep");
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 3600);
  EXPECT_EQ(RemainingTtl(conn, "forever"), -1);
  std::optional<McItem> forever = McGets(conn, "forever");
  ASSERT_TRUE(forever);
  EXPECT_EQ(forever->flags, 7u);

  // The 2-second item is gone 3 seconds after it was set.
  std::this_thread::sleep_until(short_set + std::chrono::seconds(3));
  EXPECT_FALSE(McGets(conn, "short")) << "expired item still served after the restart";
  EXPECT_TRUE(McGets(conn, "keep"));
}

// The number of records, asked through the binary protocol (it reads no key).
uint64_t RecordCount(int port) {
  RemoteDB db;
  uint64_t count = UINT64_MAX;
  EXPECT_TRUE(db.Open("127.0.0.1", port, 10).ok());
  EXPECT_TRUE(db.Rnum(&count).ok());
  return count;
}

// Polls the record count until it is `wanted` or 15 seconds have passed;
// returns the last count. An expired key should leave within about a second.
uint64_t AwaitRecordCount(int port, uint64_t wanted) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  uint64_t count = RecordCount(port);
  while (count != wanted && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    count = RecordCount(port);
  }
  return count;
}

TEST(ExpiryTest, ExpiredKeysLeaveTheDatabaseWithoutBeingRead) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir, UlogArgs(dir));
  ASSERT_TRUE(server->started());
  {
    RawConnection conn(server->port());
    EXPECT_EQ(TextExchange(conn, "set memcached 0 1 1\r\nv\r\n"), "STORED\r\n");
    EXPECT_EQ(TextExchange(conn, "SET redis v EX 1\r\n"), "+OK\r\n");
    EXPECT_EQ(TextExchange(conn, "set stays 0 0 1\r\nv\r\n"), "STORED\r\n");
  }
  // The default sweep interval is a minute: only the expiry schedule removes
  // them this soon.
  EXPECT_EQ(AwaitRecordCount(server->port(), 1), 1u)
      << "keys with a 1-second TTL still stored (rnum) long after they expired";
}

TEST(ExpiryTest, KeysWrittenBeforeARestartLeaveAfterIt) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  std::vector<std::string> args = UlogArgs(dir);
  auto server = StartTtserver(dir, args);
  ASSERT_TRUE(server->started());
  {
    RawConnection conn(server->port());
    EXPECT_EQ(TextExchange(conn, "set soon 0 2 1\r\nv\r\n"), "STORED\r\n");
    EXPECT_EQ(TextExchange(conn, "set stays 0 0 1\r\nv\r\n"), "STORED\r\n");
  }
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  auto restarted = StartTtserver(dir, args);
  ASSERT_TRUE(restarted->started());
  EXPECT_EQ(AwaitRecordCount(restarted->port(), 1), 1u)
      << "a key with a 2-second TTL written before the restart is still stored";
}

INSTANTIATE_TEST_SUITE_P(StopSignals, RestartTest, ::testing::Values(SIGTERM, SIGKILL),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGKILL ? "KillNine" : "Sigterm");
                         });

}  // namespace
}  // namespace tt::testing
