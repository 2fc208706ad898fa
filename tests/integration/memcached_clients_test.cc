// Real memcached clients, untouched, against the server: the Python, Perl, Ruby
// and libmemcached clients people use, each through its own public API. The
// scripts in clients/ print one line per check and exit non-zero on any
// mismatch; their output is the failure message.
#include <gtest/gtest.h>

#include <random>

#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

class MemcachedClientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartMemcachedProtocolServer(dir_);
    ASSERT_TRUE(server_->started());
  }

  void ExpectClientScriptPasses(const std::string& script) {
    std::string output;
    EXPECT_EQ(RunClientScript(script, server_->port(), &output), 0) << output;
    EXPECT_TRUE(StillRunning(*server_));
  }

  // memccp or memccat with --servers pointing at the server, plus --binary
  // when `binary`.
  int Libmemcached(const std::string& tool, bool binary, std::vector<std::string> args,
                   std::string* out) {
    std::vector<std::string> argv = {"/usr/bin/" + tool,
                                     "--servers=127.0.0.1:" + std::to_string(server_->port())};
    if (binary) argv.push_back("--binary");
    argv.insert(argv.end(), args.begin(), args.end());
    std::string err;
    int status = RunProgram(argv, out, &err);
    if (status != 0) *out += err;
    return status;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(MemcachedClientsTest, Pymemcache) { ExpectClientScriptPasses("pymemcache_client.py"); }

TEST_F(MemcachedClientsTest, PythonMemcached) {
  ExpectClientScriptPasses("python_memcache_client.py");
}

TEST_F(MemcachedClientsTest, PerlCacheMemcached) {
  ExpectClientScriptPasses("cache_memcached_client.pl");
}

// Dalli 3.0 (Debian's ruby-dalli) speaks only the binary protocol, and its
// default Marshal serializer depends on the flags coming back.
TEST_F(MemcachedClientsTest, RubyDalliBinaryProtocol) { ExpectClientScriptPasses("dalli_client.rb"); }

// memaslap (Debian's memcaslap) with 100-byte values, 90% gets, every value
// read back checked (-v 1), over the text and the binary protocol. Its keys
// begin with control bytes. Errors are printed as lines starting with '<'
// (memcaslap's exit status is 0 whatever happens).
TEST_F(MemcachedClientsTest, MemcaslapRunsWithoutErrorsOrMisses) {
  const std::string config = dir_.Join("memcaslap.cfg");
  WriteWholeFile(config,
                 "key\n64 64 1\n"
                 "value\n100 100 1\n"
                 "cmd\n0 0.1\n1 0.9\n");
  for (bool binary : {false, true}) {
    SCOPED_TRACE(binary ? "binary" : "text");
    std::vector<std::string> argv = {"/usr/bin/memcaslap",
                                     "-s",
                                     "127.0.0.1:" + std::to_string(server_->port()),
                                     "-T",
                                     "2",
                                     "-c",
                                     "4",
                                     "-x",
                                     "20000",
                                     "-v",
                                     "1",
                                     "-F",
                                     config};
    if (binary) argv.push_back("-B");
    std::string out, err;
    ASSERT_EQ(RunProgram(argv, &out, &err), 0) << out << err;
    EXPECT_NE(out.find("cmd_get: 18000\n"), std::string::npos) << out;
    EXPECT_NE(out.find("cmd_set: 2000\n"), std::string::npos) << out;
    EXPECT_NE(out.find("get_misses: 0\n"), std::string::npos) << out;
    EXPECT_NE(out.find("verify_failed: 0\n"), std::string::npos) << out;
    EXPECT_EQ(out.find("\n<"), std::string::npos) << out.substr(0, 2000);
    EXPECT_EQ(err, "");
  }
  EXPECT_TRUE(StillRunning(*server_));
}

// memccp stores files under their base names; memccat reads them back. Each
// round writes with one protocol and reads with the other, so that text and
// binary both carry a ~500 KiB value of random bytes and the flags.
TEST_F(MemcachedClientsTest, MemccpThenMemccatIsByteIdentical) {
  std::mt19937 rng(7);
  for (bool write_binary : {false, true}) {
    SCOPED_TRACE(write_binary ? "memccp --binary, memccat text" : "memccp text, memccat --binary");
    const std::string text = "first line\nsecond line " + std::to_string(rng()) + "\n";
    const std::string blob = RandomBytes(rng, 500 * 1024);
    WriteWholeFile(dir_.Join("text.txt"), text);
    WriteWholeFile(dir_.Join("blob.bin"), blob);
    std::string out;
    ASSERT_EQ(Libmemcached("memccp", write_binary,
                           {"--flags=42", dir_.Join("text.txt"), dir_.Join("blob.bin")}, &out),
              0)
        << out;
    for (const auto& [key, want] : {std::pair{"text.txt", text}, std::pair{"blob.bin", blob}}) {
      const std::string copy = dir_.Join(std::string("copy-") + key);
      ASSERT_EQ(Libmemcached("memccat", !write_binary, {"--file=" + copy, key}, &out), 0) << out;
      EXPECT_TRUE(ReadWholeFile(copy) == want)
          << key << ": " << ReadWholeFile(copy).size() << " bytes back";
    }
    // -F prints the flags on a line before the value (and memccat ends
    // stdout output with a line feed of its own).
    ASSERT_EQ(Libmemcached("memccat", !write_binary, {"-F", "text.txt"}, &out), 0) << out;
    EXPECT_EQ(out, "42\n" + text + "\n");
  }
  std::string out;
  EXPECT_NE(Libmemcached("memccat", false, {"no-such-key"}, &out), 0);
  EXPECT_TRUE(StillRunning(*server_));
}

}  // namespace
}  // namespace tt::testing
