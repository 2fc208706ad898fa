// Shared pieces of the memcached / HTTP integration tests: starting the
// server under test (ttserver, or Debian's memcached as a reference for the
// memcached-protocol tests), running the real client programs, and the byte
// encodings the tests write by hand.
//
// Setting TT_TEST_REFERENCE=memcached in the environment runs every test that
// speaks only memcached protocols against /usr/bin/memcached instead of
// ttserver; the tests that need more (HTTP, Tokyo Tyrant binary, restarts,
// metrics) skip. That is how the tests themselves were checked: what passes
// against memcached is memcached's behaviour, not ours. TT_TEST_REFERENCE=redis
// does the same for the tests that speak only RESP (the Redis protocol), with
// /usr/bin/redis-server.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/server_process.h"

namespace tt::testing {

// True when TT_TEST_REFERENCE=memcached.
bool AgainstReferenceMemcached();
// True when TT_TEST_REFERENCE=redis.
bool AgainstReferenceRedis();

// Skips the current test when running against a reference server, for tests
// of what only ttserver has. Use as `SKIP_UNLESS_TTSERVER();`.
#define SKIP_UNLESS_TTSERVER()                                                                  \
  do {                                                                                          \
    if (::tt::testing::AgainstReferenceMemcached() || ::tt::testing::AgainstReferenceRedis()) { \
      GTEST_SKIP() << "needs ttserver itself (TT_TEST_REFERENCE)";                              \
    }                                                                                           \
  } while (0)

// ttserver on a free port with its log in `dir` and the on-disk hash
// database dir/casket.kch; `args` go before the database name.
std::unique_ptr<ServerProcess> StartTtserver(const TempDir& dir,
                                             const std::vector<std::string>& args = {});

// The arguments that make ttserver keep an update log in dir/ulog (created
// here) with server id 1.
std::vector<std::string> UlogArgs(const TempDir& dir);

// The server for a memcached-protocol test: ttserver as StartTtserver(dir,
// args), or the reference memcached; both with their default item size limit
// (1 MiB: memcached's -I, ttserver's --mc-item-max).
std::unique_ptr<ServerProcess> StartMemcachedProtocolServer(
    const TempDir& dir, const std::vector<std::string>& args = {});

// The server for a RESP test: ttserver as StartTtserver(dir, args), or the
// reference redis-server without persistence (--save '' --appendonly no).
std::unique_ptr<ServerProcess> StartRespServer(const TempDir& dir,
                                               const std::vector<std::string>& args = {});

// A RESP multibulk request of `words`.
std::string RespCommand(const std::vector<std::string>& words);

// Runs /usr/bin/redis-cli -p `port` `args` with `stdin_data` on its input;
// returns its exit status, its stdout in *out (and stderr in *err).
int RedisCli(int port, const std::vector<std::string>& args, std::string* out,
             std::string* err = nullptr, const std::string& stdin_data = "");

// Runs the client script tests/integration/clients/`script` (.py with
// /usr/bin/python3, .pl with /usr/bin/perl, .rb with /usr/bin/ruby) with the
// port as its argument;
// returns its exit status and its stdout + stderr in *output.
int RunClientScript(const std::string& script, int port, std::string* output);

// Runs /usr/bin/curl with `args`; returns its exit status.
int Curl(const std::vector<std::string>& args, std::string* out, std::string* err = nullptr);

// curl `args` `url`, the response body into `body_file` (and *body when
// not null); returns the HTTP status, or 0 with a test failure if curl failed.
int CurlStatus(const std::vector<std::string>& args, const std::string& url,
               const std::string& body_file, std::string* body = nullptr);

// http://127.0.0.1:port/path.
std::string Url(int port, const std::string& path);

// Sends a memcached text request and reads until `terminator` (e.g. "END\r\n").
std::string TextExchange(RawConnection& conn, const std::string& request,
                         std::string_view terminator = "\r\n");

// memcached `stats` on a new connection / on `conn`, as name -> value.
std::map<std::string, std::string> McStats(int port);
std::map<std::string, std::string> McStats(RawConnection& conn);

// The memcached binary protocol (magic 0x80), big-endian header of 24 bytes.
namespace mcbin {

enum Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kDelete = 0x04,
  kIncrement = 0x05,
  kQuit = 0x07,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kStat = 0x10,
};

enum Status : uint16_t {
  kNoError = 0x0000,
  kKeyNotFound = 0x0001,
  kKeyExists = 0x0002,
  kValueTooLarge = 0x0003,
  kInvalidArguments = 0x0004,
  kNonNumeric = 0x0006,
  kUnknownCommand = 0x0081,
};

struct Response {
  uint8_t magic = 0;
  uint8_t opcode = 0;
  uint16_t status = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string extras;
  std::string key;
  std::string value;
};

std::string Request(uint8_t opcode, std::string_view key = "", std::string_view value = "",
                    std::string_view extras = "", uint64_t cas = 0, uint32_t opaque = 0);
// A set's extras: flags and expiration.
std::string SetExtras(uint32_t flags, uint32_t exptime);
// Reads one whole response; false on timeout, EOF or a body over 64 MiB.
bool ReadResponse(RawConnection& conn, Response* out, int timeout_ms = 3000);

}  // namespace mcbin

// A file's bytes ("" if it cannot be read) / replaces a file's contents.
std::string ReadWholeFile(const std::string& path);
void WriteWholeFile(const std::string& path, const std::string& data);

// `n` bytes from `rng`.
std::string RandomBytes(std::mt19937& rng, size_t n);

// The server process has not exited.
bool StillRunning(const ServerProcess& server);

}  // namespace tt::testing
