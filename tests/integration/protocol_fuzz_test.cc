// Random bytes and truncated requests on every protocol of the data port,
// from many connections at once: the server stays up, keeps answering a
// well-behaved connection that is open meanwhile, and answers new ones
// afterwards. The generators are seeded, so a failure repeats; the seed is in
// the failure message.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <ostream>
#include <random>
#include <thread>

#include "common/coding.h"
#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

enum class Protocol { kMemcachedText, kMemcachedBinary, kHttp, kTokyoTyrant };

std::string ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kMemcachedText:
      return "MemcachedText";
    case Protocol::kMemcachedBinary:
      return "MemcachedBinary";
    case Protocol::kHttp:
      return "Http";
    case Protocol::kTokyoTyrant:
      return "TokyoTyrantBinary";
  }
  return "";
}

// gtest prints parameters with this (e.g. in ctest's test names).
void PrintTo(Protocol protocol, std::ostream* os) { *os << ProtocolName(protocol); }

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& choices) {
  return choices[rng() % choices.size()];
}

std::string RandomKey(std::mt19937& rng) {
  switch (rng() % 4) {
    case 0:
      return std::string(1 + rng() % 300, 'k');  // around memcached's 250 limit
    case 1:
      return RandomBytes(rng, 1 + rng() % 8);
    default:
      return "key" + std::to_string(rng() % 10);
  }
}

std::string RandomNumber(std::mt19937& rng) {
  return Pick<std::string>(rng, {"0", "1", "-1", "42", "4294967296", "18446744073709551615",
                                 "99999999999999999999999", "abc", "", std::to_string(rng())});
}

// A memcached text request assembled from the protocol's words with random
// arguments, lengths that may not match the data, and any terminator.
std::string MemcachedTextRequest(std::mt19937& rng) {
  static const std::vector<std::string> kCommands = {
      "set",       "add",     "replace",   "append",         "prepend",    "cas",  "get",
      "gets",      "gat",     "gats",      "touch",          "delete",     "incr", "decr",
      "flush_all", "version", "verbosity", "stats",          "mg",         "ms",   "md",
      "ma",        "mn",      "me",        "stats settings", "stats items"};
  std::string line = Pick(rng, kCommands);
  const int args = static_cast<int>(rng() % 7);
  for (int i = 0; i < args; ++i) {
    line += " ";
    switch (rng() % 4) {
      case 0:
        line += RandomKey(rng);
        break;
      case 1:
        line += RandomNumber(rng);
        break;
      case 2:
        line += Pick<std::string>(rng, {"noreply", "v", "f", "t", "c", "q", "k", "b", "T10", "N5",
                                        "MA", "MS", "ME", "D5", "O123"});
        break;
      default:
        line += RandomBytes(rng, rng() % 4);
    }
  }
  line += Pick<std::string>(rng, {"\r\n", "\r\n", "\n", "\r", ""});
  if (rng() % 2 == 0) line += RandomBytes(rng, rng() % 64) + "\r\n";  // a data block or not
  return line;
}

// A memcached binary request with a random opcode and random (often
// inconsistent) lengths; the body never exceeds 1 KiB sent.
std::string MemcachedBinaryRequest(std::mt19937& rng) {
  if (rng() % 2 == 0) {
    const uint8_t opcode = static_cast<uint8_t>(rng() % 0x48);
    std::string extras = RandomBytes(rng, Pick<size_t>(rng, {0, 4, 8, 20, 3}));
    return mcbin::Request(opcode, RandomKey(rng), RandomBytes(rng, rng() % 64), extras, rng(),
                          rng());
  }
  std::string header;
  PutU8(&header, 0x80);
  PutU8(&header, static_cast<uint8_t>(rng()));
  PutU16(&header, static_cast<uint16_t>(rng()));
  PutU8(&header, static_cast<uint8_t>(rng()));
  PutU8(&header, static_cast<uint8_t>(rng() % 4 == 0 ? rng() : 0));
  PutU16(&header, 0);
  PutU32(&header, rng() % 2 ? rng() : rng() % 512);
  PutU32(&header, rng());
  PutU64(&header, rng());
  return header + RandomBytes(rng, rng() % 1024);
}

std::string HttpRequest(std::mt19937& rng) {
  static const std::vector<std::string> kMethods = {"GET",     "PUT",   "POST", "HEAD", "DELETE",
                                                    "OPTIONS", "PATCH", "BREW", "G"};
  std::string request = Pick(rng, kMethods) + " ";
  request += Pick<std::string>(rng, {"/", "/k", "/%zz", "/%41", "http://h/k", "*", ""});
  if (rng() % 3 == 0) request += RandomBytes(rng, rng() % 16);
  request += Pick<std::string>(rng, {" HTTP/1.1", " HTTP/1.0", " HTTP/2.0", " HTTP/1.1", ""});
  request += "\r\n";
  const int headers = static_cast<int>(rng() % 5);
  for (int i = 0; i < headers; ++i) {
    request +=
        Pick<std::string>(rng, {"Content-Length: ", "Transfer-Encoding: ", "X-TT-PDMODE: ",
                                "X-TT-MNAME: ", "Expect: ", "Connection: ", "Host: ", "NoColon"});
    request += Pick<std::string>(
        rng, {"chunked", "100-continue", "close", "1", "5", "-1", "99999999999", "getlist", ""});
    request += Pick<std::string>(rng, {"\r\n", "\n", ""});
  }
  request += Pick<std::string>(rng, {"\r\n", "\r\n", ""});
  if (rng() % 2 == 0) request += RandomBytes(rng, rng() % 64);
  return request;
}

std::string TokyoTyrantRequest(std::mt19937& rng) {
  // Commands that carry keys and values, with lengths that may lie.
  static const std::vector<uint8_t> kCommands = {0x10, 0x11, 0x12, 0x13, 0x18, 0x20, 0x21,
                                                 0x30, 0x31, 0x38, 0x50, 0x51, 0x58, 0x60,
                                                 0x61, 0x90, 0x80, 0x81, 0x88};
  std::string request = "\xC8";
  PutU8(&request, rng() % 4 == 0 ? static_cast<uint8_t>(rng()) : Pick(rng, kCommands));
  for (int i = 0; i < 3; ++i) PutU32(&request, rng() % 2 ? rng() % 64 : rng());
  return request + RandomBytes(rng, rng() % 256);
}

// A request to fuzz with: a generated one, random bytes after the protocol's
// first byte, or a generated one cut short.
std::string FuzzInput(Protocol protocol, std::mt19937& rng) {
  std::string request;
  switch (protocol) {
    case Protocol::kMemcachedText:
      request = MemcachedTextRequest(rng);
      break;
    case Protocol::kMemcachedBinary:
      request = MemcachedBinaryRequest(rng);
      break;
    case Protocol::kHttp:
      request = HttpRequest(rng);
      break;
    case Protocol::kTokyoTyrant:
      request = TokyoTyrantRequest(rng);
      break;
  }
  switch (rng() % 3) {
    case 0: {
      // The first byte selects the protocol; keep it, randomize the rest.
      return request.substr(0, 1) + RandomBytes(rng, 1 + rng() % 512);
    }
    case 1:
      return request.substr(0, 1 + rng() % request.size());  // truncated
    default: {
      // Several requests back to back, as a pipelining client sends them.
      for (int i = rng() % 3; i > 0; --i) request += FuzzInput(protocol, rng);
      return request;
    }
  }
}

// A well-formed request of `protocol` on `conn` gets a well-formed answer.
void ExpectAnswers(Protocol protocol, RawConnection& conn) {
  ASSERT_TRUE(conn.connected());
  switch (protocol) {
    case Protocol::kMemcachedText: {
      EXPECT_TRUE(TextExchange(conn, "version\r\n").starts_with("VERSION "));
      break;
    }
    case Protocol::kMemcachedBinary: {
      mcbin::Response response;
      ASSERT_TRUE(conn.Send(mcbin::Request(mcbin::kNoop, "", "", "", 0, 5)));
      ASSERT_TRUE(mcbin::ReadResponse(conn, &response));
      EXPECT_EQ(response.status, mcbin::kNoError);
      EXPECT_EQ(response.opaque, 5u);
      break;
    }
    case Protocol::kHttp: {
      EXPECT_TRUE(TextExchange(conn, "GET /probe HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n")
                      .starts_with("HTTP/1.1 404 "));
      break;
    }
    case Protocol::kTokyoTyrant: {
      ASSERT_TRUE(conn.Send(Bytes("C8 80")));  // rnum
      std::string reply = conn.Receive(9);
      EXPECT_EQ(reply.size(), 9u);
      EXPECT_EQ(reply.substr(0, 1), std::string(1, '\0'));
      break;
    }
  }
}

bool Supported(Protocol protocol) {
  return !AgainstReferenceMemcached() || protocol == Protocol::kMemcachedText ||
         protocol == Protocol::kMemcachedBinary;
}

// Closes with a reset instead of a FIN: the server must cope with both.
void Abort(RawConnection& conn) {
  linger hard{1, 0};
  setsockopt(conn.fd(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
}

class ProtocolFuzzTest : public ::testing::TestWithParam<Protocol> {};

TEST_P(ProtocolFuzzTest, ServerSurvivesAndKeepsServing) {
  const Protocol protocol = GetParam();
  if (!Supported(protocol)) GTEST_SKIP() << "memcached speaks neither HTTP nor Tokyo Tyrant";
  TempDir dir;
  // Random Tokyo Tyrant commands must not name files (copy, restore) or
  // masters (setmst).
  std::vector<std::string> args = {"-mask", "copy,restore,setmst"};
  auto server =
      AgainstReferenceMemcached() ? StartMemcachedProtocolServer(dir) : StartTtserver(dir, args);
  ASSERT_TRUE(server->started());

  const unsigned seed = 20240 + static_cast<unsigned>(protocol);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  // A well-behaved client of the same protocol, open the whole time.
  RawConnection observer(server->port());
  ExpectAnswers(protocol, observer);
  // Open connections now (memcached counts its listeners in too; and the
  // connection ServerProcess probed the port with may still be counted). One
  // stats connection for every look: a new one each time would race with
  // the server's noticing that the previous one closed.
  RawConnection stats(server->port());
  const long idle_connections = std::stol(McStats(stats)["curr_connections"]);
  size_t bytes_sent = 0;

  const int kBatches = 25, kPerBatch = 8;  // 200 connections, 8 open at once
  for (int batch = 0; batch < kBatches; ++batch) {
    std::vector<std::unique_ptr<RawConnection>> conns;
    std::vector<std::string> inputs;
    for (int i = 0; i < kPerBatch; ++i) {
      conns.push_back(std::make_unique<RawConnection>(server->port()));
      ASSERT_TRUE(conns.back()->connected()) << "batch " << batch;
      inputs.push_back(FuzzInput(protocol, rng));
    }
    // Interleaved in pieces, so that requests straddle reads on the server.
    for (size_t offset = 0, step; offset < 2048; offset += step) {
      step = 1 + rng() % 200;
      for (int i = 0; i < kPerBatch; ++i) {
        if (offset >= inputs[i].size()) continue;
        const std::string piece = inputs[i].substr(offset, step);
        if (conns[i]->Send(piece)) bytes_sent += piece.size();
      }
    }
    for (auto& conn : conns) {
      if (rng() % 2 == 0) Abort(*conn);
    }
    ExpectAnswers(protocol, observer);
    ASSERT_TRUE(StillRunning(*server)) << "batch " << batch;
  }
  RecordProperty("bytes_sent", std::to_string(bytes_sent));
  // Wait until the server has seen every fuzz connection end, so that it has
  // read all their bytes before the last checks.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  long open;
  while ((open = std::stol(McStats(stats)["curr_connections"])) > idle_connections &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_LE(open, idle_connections);
  // New connections of every protocol the server speaks are answered.
  for (Protocol other : {Protocol::kMemcachedText, Protocol::kMemcachedBinary, Protocol::kHttp,
                         Protocol::kTokyoTyrant}) {
    if (!Supported(other)) continue;
    SCOPED_TRACE(ProtocolName(other));
    RawConnection conn(server->port());
    ExpectAnswers(other, conn);
  }
  EXPECT_TRUE(StillRunning(*server));
}

INSTANTIATE_TEST_SUITE_P(Protocols, ProtocolFuzzTest,
                         ::testing::Values(Protocol::kMemcachedText, Protocol::kMemcachedBinary,
                                           Protocol::kHttp, Protocol::kTokyoTyrant),
                         [](const ::testing::TestParamInfo<Protocol>& info) {
                           return ProtocolName(info.param);
                         });

}  // namespace
}  // namespace tt::testing
