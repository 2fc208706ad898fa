// INFO, CONFIG, TIME, LASTSAVE, SAVE and BGSAVE through redis-cli and raw
// RESP, against ttserver and, with TT_TEST_REFERENCE=redis, redis-server
// 7.0; and what only ttserver has: INFO's counters are the ones every
// protocol counts into, and CONFIG SET names the command-line option.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <sstream>
#include <string>

#include "tests/integration/protocol_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The "name:value" lines of INFO's text.
std::map<std::string, std::string> InfoFields(const std::string& text) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon != std::string::npos && line[0] != '#') {
      fields[line.substr(0, colon)] = line.substr(colon + 1);
    }
  }
  return fields;
}

uint64_t Number(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  EXPECT_NE(it, fields.end()) << name;
  return it == fields.end() ? 0 : std::stoull(it->second);
}

TEST_F(RespTest, InfoSectionsUseRedisFieldNames) {
  Cli({"SET", "a", "1"});
  Cli({"SET", "b", "2", "EX", "100"});
  const std::string all = Cli({"INFO"});
  for (const char* title : {"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                            "# Replication", "# CPU", "# Keyspace"}) {
    EXPECT_THAT(all, HasSubstr(title));
  }
  EXPECT_THAT(all, Not(HasSubstr("# Commandstats")));
  const auto fields = InfoFields(all);
  EXPECT_THAT(fields.at("redis_version"), StartsWith("7.0."));
  EXPECT_EQ(fields.at("role"), "master");
  EXPECT_EQ(fields.at("connected_slaves"), "0");
  EXPECT_GE(Number(fields, "connected_clients"), 1u);
  EXPECT_GT(Number(fields, "used_memory"), 0u);
  for (const char* name :
       {"uptime_in_seconds", "total_commands_processed", "keyspace_hits", "keyspace_misses",
        "expired_keys", "rdb_last_save_time", "used_cpu_user", "total_connections_received"}) {
    EXPECT_TRUE(fields.contains(name)) << name;
  }
  EXPECT_THAT(fields.at("db0"), StartsWith("keys=2,expires=1,avg_ttl="));
  EXPECT_THAT(Cli({"INFO", "keyspace"}), StartsWith("# Keyspace\r\ndb0:keys=2,expires=1,"));
  const std::string two = Cli({"INFO", "SERVER", "clients"});
  EXPECT_THAT(two, StartsWith("# Server\r\n"));
  EXPECT_THAT(two, HasSubstr("\r\n\r\n# Clients\r\n"));
  EXPECT_THAT(two, Not(HasSubstr("# Stats")));
  EXPECT_THAT(Cli({"INFO", "commandstats"}), StartsWith("# Commandstats\r\ncmdstat_"));
  EXPECT_THAT(Cli({"INFO", "everything"}), HasSubstr("# Commandstats"));
  RawConnection conn(server_->port());
  Exchange(conn, "INFO nosuchsection\r\n", "$0\r\n\r\n");
}

TEST_F(RespTest, ConfigGetAnswersWhatClientsProbe) {
  RawConnection conn(server_->port());
  Exchange(conn, "CONFIG GET maxmemory\r\nCONFIG GET appendonly\r\nCONFIG GET nosuchparameter\r\n",
           "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n*0\r\n");
  Exchange(conn, "CONFIG GET save\r\nCONFIG GET MAXMEMORY-POLICY\r\n",
           "*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$16\r\nMAXMEMORY-POLICY\r\n$10\r\nnoeviction\r\n");
  Exchange(conn, "CONFIG GET\r\nCONFIG FOO\r\nCONFIG\r\n",
           "-ERR wrong number of arguments for 'config|get' command\r\n"
           "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.\r\n"
           "-ERR wrong number of arguments for 'config' command\r\n");
  const auto pairs = Cli({"CONFIG", "GET", "maxmemory*", "maxclients"});
  EXPECT_THAT(pairs, HasSubstr("maxmemory\n0\n"));
  EXPECT_THAT(pairs, HasSubstr("maxmemory-policy\nnoeviction\n"));
  EXPECT_THAT(pairs, HasSubstr("maxclients\n"));
}

TEST_F(RespTest, TimeLastSaveSaveAndBgsave) {
  const std::string time_out = Cli({"TIME"});
  const int64_t seconds = std::stoll(time_out.substr(0, time_out.find('\n')));
  EXPECT_NEAR(static_cast<double>(seconds), static_cast<double>(std::time(nullptr)), 5);
  const int64_t before = std::stoll(Cli({"LASTSAVE"}));
  EXPECT_EQ(Cli({"SAVE"}), "OK\n");
  EXPECT_GE(std::stoll(Cli({"LASTSAVE"})), before);
  EXPECT_EQ(Cli({"BGSAVE"}), "Background saving started\n");
  RawConnection conn(server_->port());
  Exchange(conn, "MULTI\r\nSAVE\r\nEXEC\r\nTIME x\r\nLASTSAVE x\r\nBGSAVE x\r\n",
           "+OK\r\n-ERR Command not allowed inside a transaction\r\n"
           "-EXECABORT Transaction discarded because of previous errors.\r\n"
           "-ERR wrong number of arguments for 'time' command\r\n"
           "-ERR wrong number of arguments for 'lastsave' command\r\n-ERR syntax error\r\n");
}

TEST_F(RespTest, InfoCountersAreTheOnesEveryProtocolCountsInto) {
  SKIP_UNLESS_TTSERVER();
  RawConnection mc(server_->port());
  ASSERT_TRUE(mc.Send("set k 0 0 1\r\nv\r\n"));
  ASSERT_EQ(mc.ReceiveUntil("\r\n"), "STORED\r\n");
  const auto before = InfoFields(Cli({"INFO", "stats"}));
  // Two hits and a miss through memcached, a put through HTTP.
  ASSERT_TRUE(mc.Send("get k\r\nget k\r\nget nope\r\n"));
  ASSERT_THAT(mc.ReceiveUntil("END\r\nVALUE k 0 1\r\nv\r\nEND\r\nEND\r\n"),
              HasSubstr("END\r\nEND"));
  std::string out;
  ASSERT_EQ(Curl({"-sf", "-X", "PUT", "--data", "x",
                  "http://127.0.0.1:" + std::to_string(server_->port()) + "/h"},
                 &out),
            0);
  const auto after = InfoFields(Cli({"INFO", "stats"}));
  EXPECT_EQ(Number(after, "keyspace_hits"), Number(before, "keyspace_hits") + 2);
  EXPECT_EQ(Number(after, "keyspace_misses"), Number(before, "keyspace_misses") + 1);
  // The gets, the put and the first INFO itself.
  EXPECT_EQ(Number(after, "total_commands_processed"),
            Number(before, "total_commands_processed") + 5);
  // memcached's stats read the same counters.
  ASSERT_TRUE(mc.Send("stats\r\n"));
  const std::string stats = mc.ReceiveUntil("END\r\n");
  EXPECT_THAT(stats, HasSubstr("STAT get_hits " + after.at("keyspace_hits") + "\r\n"));
  EXPECT_THAT(stats, HasSubstr("STAT get_misses " + after.at("keyspace_misses") + "\r\n"));
  EXPECT_THAT(stats, HasSubstr("STAT tt_expired_purged " + after.at("expired_keys") + "\r\n"));
}

TEST_F(RespTest, ConfigSetNamesTheOptionToUseInstead) {
  SKIP_UNLESS_TTSERVER();
  RawConnection conn(server_->port());
  Exchange(conn, "CONFIG SET maxclients 4\r\n",
           "-ERR CONFIG SET is not supported: ttserver is configured by its command line; for "
           "'maxclients' use --max-conns (ttserver --help)\r\n");
  Exchange(conn, "CONFIG SET nosuch 1\r\n",
           "-ERR CONFIG SET is not supported: ttserver is configured by its command line "
           "(ttserver --help); it has no parameter 'nosuch'\r\n");
}

}  // namespace
}  // namespace tt::testing
