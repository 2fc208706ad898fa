#include "ttserver/options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tt {
namespace {

// Parses `args` (without the program name).
Status Parse(std::vector<std::string> args, ServerOptions* out, std::string* text = nullptr) {
  args.insert(args.begin(), "ttserver");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  std::string ignored;
  return ParseServerOptions(static_cast<int>(argv.size()), argv.data(), out,
                            text != nullptr ? text : &ignored);
}

ServerOptions MustParse(const std::vector<std::string>& args) {
  ServerOptions out;
  std::string text;
  Status s = Parse(args, &out, &text);
  EXPECT_TRUE(s.ok()) << s.ToString() << "\n" << text;
  return out;
}

// The message of a refused command line (its first line).
std::string Refusal(const std::vector<std::string>& args) {
  ServerOptions out;
  std::string text;
  Status s = Parse(args, &out, &text);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(out.print_and_exit);
  return text.substr(0, text.find('\n'));
}

TEST(ServerOptionsTest, DefaultsAreSafe) {
  ServerOptions o = MustParse({});
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 1978);
  EXPECT_EQ(o.threads, 8);
  EXPECT_EQ(o.dbname, "*");
  EXPECT_FALSE(o.daemonize);
  EXPECT_EQ(o.pid_path, "");
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_EQ(o.ulog_dir, "");
  EXPECT_EQ(o.ulog_limit, 1ull << 30);
  EXPECT_EQ(o.ulog_sync, UlogSync::kNone);
  EXPECT_DOUBLE_EQ(o.ulog_sync_interval_s, 1.0);
  EXPECT_DOUBLE_EQ(o.checkpoint_interval_s, 60);
  EXPECT_EQ(o.sid, 0);
  EXPECT_EQ(o.master_port, 1978);
  EXPECT_EQ(o.rts_path, "ttserver.rts");
  EXPECT_EQ(o.partitions, 1u);
  EXPECT_TRUE(o.mask_rules.empty());
  EXPECT_DOUBLE_EQ(o.limits.request_timeout_s, 0);
  EXPECT_DOUBLE_EQ(o.limits.idle_timeout_s, 0);
  EXPECT_EQ(o.limits.max_conns, Limits().max_conns);
  EXPECT_TRUE(o.warnings.empty());
  EXPECT_FALSE(o.print_and_exit);
}

TEST(ServerOptionsTest, EveryOriginalOptionWorksWithOneAndTwoDashes) {
  for (std::string dash : {"-", "--"}) {
    SCOPED_TRACE(dash);
    ServerOptions o = MustParse({dash + "host",
                                 "10.0.0.1",
                                 dash + "port",
                                 "2000",
                                 dash + "thnum",
                                 "3",
                                 dash + "tout",
                                 "7",
                                 dash + "dmn",
                                 dash + "pid",
                                 "p.pid",
                                 dash + "kl",
                                 dash + "log",
                                 "t.log",
                                 dash + "ld",
                                 dash + "ulog",
                                 "ulogdir",
                                 dash + "ulim",
                                 "64m",
                                 dash + "uas",
                                 dash + "sid",
                                 "5",
                                 dash + "mhost",
                                 "master",
                                 dash + "mport",
                                 "2001",
                                 dash + "rts",
                                 "x.rts",
                                 dash + "rcc",
                                 dash + "mul",
                                 "4",
                                 dash + "mask",
                                 "put",
                                 dash + "unmask",
                                 "get",
                                 "casket.kch"});
    EXPECT_EQ(o.host, "10.0.0.1");
    EXPECT_EQ(o.port, 2000);
    EXPECT_EQ(o.threads, 3);
    EXPECT_DOUBLE_EQ(o.limits.request_timeout_s, 7);
    EXPECT_TRUE(o.daemonize);
    EXPECT_EQ(o.pid_path, "p.pid");
    EXPECT_TRUE(o.kill_running);
    EXPECT_EQ(o.log_path, "t.log");
    EXPECT_EQ(o.log_level, LogLevel::kDebug);
    EXPECT_EQ(o.ulog_dir, "ulogdir");
    EXPECT_EQ(o.ulog_limit, 64ull << 20);
    EXPECT_TRUE(o.ulog_async);
    EXPECT_EQ(o.sid, 5);
    EXPECT_EQ(o.master_host, "master");
    EXPECT_EQ(o.master_port, 2001);
    EXPECT_EQ(o.rts_path, "x.rts");
    EXPECT_TRUE(o.replication_check);
    EXPECT_EQ(o.partitions, 4u);
    ASSERT_EQ(o.mask_rules.size(), 2u);
    EXPECT_EQ(o.dbname, "casket.kch");
  }
}

TEST(ServerOptionsTest, OurOptionsWorkWithOneAndTwoDashes) {
  for (std::string dash : {"-", "--"}) {
    SCOPED_TRACE(dash);
    ServerOptions o = MustParse({dash + "ulog-sync", "interval", dash + "ulog-sync-interval",
                                 "0.25", dash + "max-key", "4k", dash + "max-value", "2m",
                                 dash + "max-conns", "50", dash + "idle-timeout", "30",
                                 dash + "checkpoint-interval", "0", dash + "metrics-port", "9150",
                                 dash + "expiry-sweep-interval", "5",
                                 dash + "expiry-schedule-max", "2000"});
    EXPECT_EQ(o.ulog_sync, UlogSync::kInterval);
    EXPECT_EQ(o.metrics_port, 9150);
    EXPECT_DOUBLE_EQ(o.expiry_sweep_interval_s, 5);
    EXPECT_EQ(o.expiry_schedule_max, 2000u);
    EXPECT_DOUBLE_EQ(o.checkpoint_interval_s, 0);
    EXPECT_DOUBLE_EQ(o.ulog_sync_interval_s, 0.25);
    EXPECT_EQ(o.limits.max_key, 4096u);
    EXPECT_EQ(o.limits.max_value, 2u << 20);
    EXPECT_EQ(o.limits.max_conns, 50);
    EXPECT_DOUBLE_EQ(o.limits.idle_timeout_s, 30);
  }
}

TEST(ServerOptionsTest, MetricsPortOutOfRangeIsRefused) {
  EXPECT_NE(Refusal({"--metrics-port", "70000"}).find("--metrics-port"), std::string::npos);
  EXPECT_EQ(MustParse({}).metrics_port, 0);
}

TEST(ServerOptionsTest, TlsOptions) {
  for (const std::string dash : {"-", "--"}) {
    ServerOptions o = MustParse({dash + "tls-port", "1979", dash + "tls-cert", "c.pem",
                                 dash + "tls-key", "k.pem", dash + "tls-ca", "ca.pem"});
    EXPECT_EQ(o.tls_port, 1979);
    EXPECT_EQ(o.tls_cert, "c.pem");
    EXPECT_EQ(o.tls_key, "k.pem");
    EXPECT_EQ(o.tls_ca, "ca.pem");
  }
  EXPECT_EQ(MustParse({}).tls_port, 0);
  EXPECT_FALSE(MustParse({}).master_tls);
  ServerOptions slave = MustParse({"-sid", "2", "-mhost", "m", "-mtls", "--tls-ca", "ca.pem"});
  EXPECT_TRUE(slave.master_tls);
  EXPECT_EQ(slave.tls_ca, "ca.pem");
  EXPECT_NE(Refusal({"-mtls", "--tls-cert", "c.pem"}).find("go together"), std::string::npos);
  EXPECT_NE(Refusal({"--tls-port", "1979", "--tls-cert", "c.pem"})
                .find("--tls-port needs --tls-cert and --tls-key"),
            std::string::npos);
  EXPECT_NE(Refusal({"--tls-cert", "c.pem", "--tls-key", "k.pem"})
                .find("take effect only with --tls-port or -mtls"),
            std::string::npos);
  EXPECT_NE(Refusal({"--tls-port", "x", "--tls-cert", "c", "--tls-key", "k"}).find("--tls-port"),
            std::string::npos);
  EXPECT_NE(Refusal({"-host", "/tmp/s", "-port", "0", "--tls-port", "1979", "--tls-cert", "c",
                     "--tls-key", "k"})
                .find("UNIX socket"),
            std::string::npos);
}

TEST(ServerOptionsTest, UlogSyncLevels) {
  EXPECT_EQ(MustParse({"--ulog-sync", "none"}).ulog_sync, UlogSync::kNone);
  EXPECT_EQ(MustParse({"--ulog-sync", "always"}).ulog_sync, UlogSync::kAlways);
  EXPECT_EQ(MustParse({"--ulog-sync=interval"}).ulog_sync, UlogSync::kInterval);
  EXPECT_NE(Refusal({"--ulog-sync", "sometimes"}).find("none, interval, always"),
            std::string::npos);
  EXPECT_NE(Refusal({"--ulog-sync-interval", "0"}).find("> 0"), std::string::npos);
}

TEST(ServerOptionsTest, LeSetsErrorLevelAndTheLastLevelFlagWins) {
  EXPECT_EQ(MustParse({"-le"}).log_level, LogLevel::kError);
  EXPECT_EQ(MustParse({"-ld", "-le"}).log_level, LogLevel::kError);
  EXPECT_EQ(MustParse({"-le", "-ld"}).log_level, LogLevel::kDebug);
}

TEST(ServerOptionsTest, MaskAndUnmaskKeepCommandLineOrder) {
  ServerOptions o = MustParse(
      {"-mask", "all", "-unmask", "get,put", "--mask", "put", "-unmask", "0x1", "-mask", "vanish"});
  ASSERT_EQ(o.mask_rules.size(), 5u);
  std::vector<std::pair<std::string, bool>> got;
  for (const MaskRule& r : o.mask_rules) got.emplace_back(r.expr, r.set);
  std::vector<std::pair<std::string, bool>> want = {
      {"all", true}, {"get,put", false}, {"put", true}, {"0x1", false}, {"vanish", true}};
  EXPECT_EQ(got, want);
}

TEST(ServerOptionsTest, MaskDoesNotSwallowTheDatabaseName) {
  ServerOptions o = MustParse({"-mask", "put", "casket.kch"});
  ASSERT_EQ(o.mask_rules.size(), 1u);
  EXPECT_EQ(o.dbname, "casket.kch");
}

TEST(ServerOptionsTest, SizesTakeSuffixes) {
  EXPECT_EQ(MustParse({"-ulim", "1k"}).ulog_limit, 1024u);
  EXPECT_EQ(MustParse({"-ulim", "1.5m"}).ulog_limit, 3u << 19);
  EXPECT_EQ(MustParse({"-ulim", "2G"}).ulog_limit, 2ull << 30);
  EXPECT_EQ(MustParse({"-ulim", "123"}).ulog_limit, 123u);
  EXPECT_EQ(MustParse({"--max-value", "1m"}).limits.max_value, 1u << 20);
  EXPECT_NE(Refusal({"-ulim", "12x"}).find("-ulim: '12x' is not a size"), std::string::npos);
  EXPECT_NE(Refusal({"--max-value", "1g"}).find("out of range"), std::string::npos);
  EXPECT_NE(Refusal({"--max-key", "0"}).find("out of range"), std::string::npos);
}

TEST(ServerOptionsTest, McItemMaxIsOneMebibyteByDefaultAndNeverAboveMaxValue) {
  EXPECT_EQ(MustParse({}).limits.mc_item_max, 1u << 20);
  EXPECT_EQ(MustParse({"--mc-item-max", "2m"}).limits.mc_item_max, 2u << 20);
  EXPECT_EQ(MustParse({"-mc-item-max", "64k"}).limits.mc_item_max, 64u << 10);
  // A --max-value below 1 MiB lowers the default with it...
  EXPECT_EQ(MustParse({"--max-value", "512k"}).limits.mc_item_max, 512u << 10);
  EXPECT_EQ(MustParse({"--max-value", "4m", "--mc-item-max", "4m"}).limits.mc_item_max, 4u << 20);
  // ...but a limit given above it is refused.
  EXPECT_EQ(Refusal({"--max-value", "512k", "--mc-item-max", "1m"}),
            "ttserver: --mc-item-max: 1m is above --max-value (524288 bytes); a memcached item "
            "must fit in a value: lower --mc-item-max or raise --max-value");
  EXPECT_NE(Refusal({"--max-value", "1m", "-mc-item-max", "2m"}).find("above --max-value"),
            std::string::npos);
  EXPECT_NE(Refusal({"--mc-item-max", "0"}).find("out of range"), std::string::npos);
}

TEST(ServerOptionsTest, LuaAndSkeletonOptionsAreRefused) {
  EXPECT_EQ(Refusal({"-ext", "x.lua"}),
            "ttserver: -ext: Lua extensions are not supported by this ttserver; remove the option");
  EXPECT_EQ(
      Refusal({"-extpc", "f", "1.5"}),
      "ttserver: -extpc: Lua extensions are not supported by this ttserver; remove the option");
  EXPECT_EQ(Refusal({"--ext", "x.lua"}).substr(0, 15), "ttserver: -ext:");
  EXPECT_NE(
      Refusal({"-skel", "lib.so"}).find("-skel: skeleton database libraries are not supported"),
      std::string::npos);
}

TEST(ServerOptionsTest, SidAboveRangeWarnsAndBecomesZero) {
  ServerOptions o = MustParse({"-sid", "70000"});
  EXPECT_EQ(o.sid, 0);
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("65535"), std::string::npos);
  EXPECT_EQ(MustParse({"-sid", "65535"}).sid, 65535);
  EXPECT_NE(Refusal({"-sid", "-1"}).find("out of range"), std::string::npos);
}

TEST(ServerOptionsTest, UlogAndMhostWithoutSidAreRefused) {
  EXPECT_NE(Refusal({"-ulog", "dir"}).find("-ulog needs a server id"), std::string::npos);
  EXPECT_NE(Refusal({"-ulog", "dir", "-sid", "70000"}).find("-ulog needs a server id"),
            std::string::npos);
  EXPECT_NE(Refusal({"-mhost", "m"}).find("-mhost needs a server id"), std::string::npos);
  EXPECT_EQ(MustParse({"-ulog", "dir", "-sid", "1"}).ulog_dir, "dir");
}

TEST(ServerOptionsTest, UlogRetentionIsOffByDefaultAndNeedsAnUpdateLog) {
  ServerOptions o = MustParse({"-ulog", "dir", "-sid", "1"});
  EXPECT_FALSE(o.ulog_retain.any());
  EXPECT_EQ(o.ulog_retain_hold_s, 7 * 86400);
  o = MustParse({"-ulog", "dir", "-sid", "1", "-ulog-retain", "age=2d,size=1g",
                 "--ulog-retain-hold", "12h", "--ulog-retain-interval", "0.5"});
  EXPECT_EQ(o.ulog_retain.max_age_s, 2 * 86400);
  EXPECT_EQ(o.ulog_retain.max_bytes, 1ull << 30);
  EXPECT_EQ(o.ulog_retain_hold_s, 12 * 3600);
  EXPECT_EQ(o.ulog_retain_interval_s, 0.5);
  EXPECT_NE(Refusal({"--ulog-retain", "size=1g"}).find("there is no update log"),
            std::string::npos);
  EXPECT_NE(Refusal({"-ulog", "d", "-sid", "1", "--ulog-retain", "7d"}).find("age=7d,size=10g"),
            std::string::npos);
  EXPECT_NE(Refusal({"-ulog", "d", "-sid", "1", "--ulog-retain-hold", "1w"})
                .find("--ulog-retain-hold"),
            std::string::npos);
}

TEST(ServerOptionsTest, DaemonImpliesPidFile) {
  EXPECT_EQ(MustParse({"-dmn"}).pid_path, "ttserver.pid");
  EXPECT_EQ(MustParse({"-dmn", "-pid", "/run/x.pid"}).pid_path, "/run/x.pid");
}

TEST(ServerOptionsTest, PortBelowOneMeansUnixSocket) {
  ServerOptions o = MustParse({"-host", "/tmp/tt.sock", "-port", "-1"});
  EXPECT_EQ(o.port, -1);
  EXPECT_EQ(MustParse({"-port", "0"}).port, 0);
}

TEST(ServerOptionsTest, MulIsClampedAndOffBelowOne) {
  EXPECT_EQ(MustParse({"-mul", "200"}).partitions, 127u);
  EXPECT_EQ(MustParse({"-mul", "200"}).warnings.size(), 1u);
  EXPECT_EQ(MustParse({"-mul", "0"}).partitions, 1u);
}

TEST(ServerOptionsTest, BadValuesGetClearMessages) {
  EXPECT_EQ(Refusal({"-port", "abc"}), "ttserver: -port: 'abc' is not an integer");
  EXPECT_EQ(Refusal({"-port", "12abc"}), "ttserver: -port: '12abc' is not an integer");
  EXPECT_NE(Refusal({"-port", "70000"}).find("out of range"), std::string::npos);
  EXPECT_NE(Refusal({"-thnum", "0"}).find("-thnum: 0 is out of range"), std::string::npos);
  EXPECT_NE(Refusal({"-mport", "0"}).find("-mport"), std::string::npos);
  EXPECT_NE(Refusal({"-tout", "-3"}).find("-tout"), std::string::npos);
  EXPECT_NE(Refusal({"--idle-timeout", "soon"}).find("--idle-timeout"), std::string::npos);
  EXPECT_NE(Refusal({"--max-conns", "0"}).find("out of range"), std::string::npos);
}

TEST(ServerOptionsTest, UsageErrorsAsTheOriginal) {
  EXPECT_FALSE(Refusal({"-nosuchoption"}).empty());
  EXPECT_FALSE(Refusal({"-port"}).empty());                     // missing value
  EXPECT_FALSE(Refusal({"casket.kch", "extra"}).empty());       // argument after dbname
  EXPECT_FALSE(Refusal({"casket.kch", "-port", "1"}).empty());  // option after dbname
}

TEST(ServerOptionsTest, RepeatedOptionTakesTheLast) {
  EXPECT_EQ(MustParse({"-port", "1", "-port", "2"}).port, 2);
}

TEST(ServerOptionsTest, RefusalIncludesUsage) {
  ServerOptions out;
  std::string text;
  ASSERT_FALSE(Parse({"-port", "x"}, &out, &text).ok());
  EXPECT_NE(text.find("--ulog-sync"), std::string::npos);
}

TEST(ServerOptionsTest, VersionAndHelpPrintAndExit) {
  ServerOptions out;
  std::string text;
  ASSERT_TRUE(Parse({"--version"}, &out, &text).ok());
  EXPECT_TRUE(out.print_and_exit);
  EXPECT_EQ(text, VersionLine() + "\n");
  EXPECT_NE(text.find("(Tokyo Tyrant 1.1.41 compatible) for Linux"), std::string::npos);
  ASSERT_TRUE(Parse({"-version"}, &out, &text).ok());
  EXPECT_TRUE(out.print_and_exit);
  ASSERT_TRUE(Parse({"--help"}, &out, &text).ok());
  EXPECT_TRUE(out.print_and_exit);
  EXPECT_NE(text.find("--max-conns"), std::string::npos);
  EXPECT_EQ(text.find("--skel"), std::string::npos);  // refused options are not advertised
}

}  // namespace
}  // namespace tt
