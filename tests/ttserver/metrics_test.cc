// memcached `stats`, the Prometheus page and the binary `stat` over one set
// of counters, moved by real memcached operations on a real Engine.
#include "ttserver/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "common/commands.h"
#include "tests/ttserver/session_fixture.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/memcached/memcached_stats.h"
#include "ttserver/stat_report.h"

namespace tt {
namespace {

// ---- a validator of the Prometheus text format 0.0.4 ----

// A scraped page: each sample's value by series, the series written as
// name{label="value",...} with labels sorted by name and values unescaped.
struct Scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;  // by family name
};

bool IsMetricName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}
bool IsLabelName(std::string_view name) {
  return IsMetricName(name) && name.find(':') == std::string_view::npos;
}

// Reads `text` as a value: a float Go's ParseFloat takes, NaN or ±Inf.
bool ParseValue(const std::string& text, double* value) {
  if (text == "NaN" || text == "+Inf" || text == "-Inf") {
    constexpr double kInf = std::numeric_limits<double>::infinity();
    *value = text == "NaN"    ? std::numeric_limits<double>::quiet_NaN()
             : text == "+Inf" ? kInf
                              : -kInf;
    return true;
  }
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  *value = strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && std::isfinite(*value);
}

// Parses `{name="value",...}` at text[*pos]; fills *labels (sorted by name).
std::string ParseLabels(std::string_view text, size_t* pos,
                        std::map<std::string, std::string>* labels) {
  size_t i = *pos + 1;  // past '{'
  while (i < text.size() && text[i] != '}') {
    size_t eq = text.find('=', i);
    if (eq == std::string_view::npos) return "label without '='";
    std::string name(text.substr(i, eq - i));
    if (!IsLabelName(name)) return "bad label name '" + name + "'";
    if (eq + 1 >= text.size() || text[eq + 1] != '"') return "label value not quoted";
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] != '\\') {
        value.push_back(text[j]);
        continue;
      }
      if (++j == text.size()) return "escape at the end";
      switch (text[j]) {
        case '\\':
          value.push_back('\\');
          break;
        case '"':
          value.push_back('"');
          break;
        case 'n':
          value.push_back('\n');
          break;
        default:
          return std::string("bad escape \\") + text[j];
      }
    }
    if (j == text.size()) return "unterminated label value";
    if (!labels->emplace(name, value).second) return "label " + name + " twice";
    i = j + 1;
    if (i < text.size() && text[i] == ',')
      ++i;
    else if (i < text.size() && text[i] != '}')
      return "no ',' between labels";
  }
  if (i == text.size()) return "unterminated label set";
  *pos = i + 1;
  return "";
}

// Checks `page` against the format and our conventions (every sample's
// family has a TYPE before it, families are contiguous, no series twice,
// counters are named *_total and never negative). Returns "" or the first
// problem, with its line.
std::string ParseExposition(std::string_view page, Scrape* scrape) {
  if (!page.empty() && page.back() != '\n') return "no final line feed";
  std::map<std::string, bool> helped;
  std::string current;  // the family whose samples may follow
  std::istringstream lines{std::string(page)};
  std::string line;
  while (std::getline(lines, line)) {
    auto fail = [&](const std::string& why) { return why + " in: " + line; };
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, keyword, name, rest;
      words >> hash >> keyword >> name;
      if (hash != "#" || (keyword != "HELP" && keyword != "TYPE")) continue;  // a comment
      if (!IsMetricName(name)) return fail("bad metric name");
      if (keyword == "HELP") {
        if (helped[name]) return fail("HELP twice");
        helped[name] = true;
        continue;
      }
      words >> rest;
      if (rest != "counter" && rest != "gauge" && rest != "summary" && rest != "histogram" &&
          rest != "untyped") {
        return fail("bad type");
      }
      if (!scrape->types.emplace(name, rest).second) return fail("TYPE twice");
      if (rest == "counter" && !name.ends_with("_total")) return fail("counter not named *_total");
      current = name;
      continue;
    }
    size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    const std::string name = line.substr(0, pos);
    if (!IsMetricName(name)) return fail("bad sample name");
    if (name != current) return fail("sample outside its family or without a TYPE");
    std::map<std::string, std::string> labels;
    if (pos < line.size() && line[pos] == '{') {
      std::string error = ParseLabels(line, &pos, &labels);
      if (!error.empty()) return fail(error);
    }
    if (pos >= line.size() || line[pos] != ' ') return fail("no space before the value");
    std::string value_text = line.substr(pos + 1);
    if (size_t space = value_text.find(' '); space != std::string::npos) {
      const std::string timestamp = value_text.substr(space + 1);
      double ignored;
      if (!ParseValue(timestamp, &ignored)) return fail("bad timestamp");
      value_text.resize(space);
    }
    double value;
    if (!ParseValue(value_text, &value)) return fail("bad value");
    if (scrape->types[name] == "counter" && value < 0) return fail("negative counter");
    std::string series = name + "{";
    for (const auto& [label, label_value] : labels) {
      series += label + "=\"" + label_value + "\",";
    }
    series += "}";
    if (!scrape->samples.emplace(series, value).second) return fail("series twice");
  }
  return "";
}

// The series key ParseExposition uses.
std::string Series(std::string_view name, std::string_view labels = "") {
  return std::string(name) + "{" + std::string(labels) + "}";
}

TEST(ExpositionValidatorTest, AcceptsAWellFormedPage) {
  Scrape scrape;
  EXPECT_EQ(ParseExposition("# HELP a_total A.\n# TYPE a_total counter\n"
                            "a_total{x=\"q\\\"\\\\\\n\",y=\"2\"} 3\na_total{x=\"r\"} 1e+06\n"
                            "# TYPE b gauge\nb -Inf\n",
                            &scrape),
            "");
  EXPECT_EQ(scrape.samples.at(Series("a_total", "x=\"q\"\\\n\",y=\"2\",")), 3);
  EXPECT_EQ(scrape.samples.at(Series("a_total", "x=\"r\",")), 1e6);
}

TEST(ExpositionValidatorTest, RejectsWhatAScraperWouldReject) {
  const char* bad[] = {
      "a 1\n",                                         // no TYPE
      "# TYPE a gauge\na 1\na 2\n",                    // series twice
      "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",  // series twice
      "# TYPE a gauge\na one\n",                       // bad value
      "# TYPE a gauge\na{x=\"a\"b\"} 1\n",             // unescaped quote
      "# TYPE a gauge\na{x=\"\\t\"} 1\n",              // bad escape
      "# TYPE a gauge\na{1x=\"a\"} 1\n",               // bad label name
      "# TYPE a gauge\n# TYPE b gauge\na 1\n",         // family not contiguous
      "# TYPE a gauge\n# TYPE a gauge\na 1\n",         // TYPE twice
      "# TYPE a counter\na 1\n",                       // counter without _total
      "# TYPE a_total counter\na_total -1\n",          // negative counter
      "# TYPE a gauge\na 1",                           // no final line feed
  };
  for (const char* page : bad) {
    Scrape scrape;
    EXPECT_NE(ParseExposition(page, &scrape), "") << page;
  }
}

// ---- the renderings ----

class MetricsTest : public testing::SessionFixture {
 protected:
  std::map<std::string, std::string> Stats(std::string_view group = "") {
    StatList list;
    EXPECT_TRUE(MemcachedStats(context_, group, &list));
    std::map<std::string, std::string> map;
    for (const auto& [name, value] : list) {
      EXPECT_TRUE(map.emplace(name, value).second) << name << " twice";
    }
    return map;
  }
  StatList List(std::string_view group) {
    StatList list;
    EXPECT_TRUE(MemcachedStats(context_, group, &list)) << group;
    return list;
  }
  std::vector<std::string> StatNames(std::string_view group = "") {
    StatList list;
    EXPECT_TRUE(MemcachedStats(context_, group, &list));
    std::vector<std::string> names;
    for (const auto& [name, value] : list) names.push_back(name);
    return names;
  }
  Scrape Prometheus() {
    Scrape scrape;
    std::string page = RenderPrometheus(context_);
    EXPECT_EQ(ParseExposition(page, &scrape), "") << page;
    return scrape;
  }
  mc::Result Set(std::string_view key, std::string_view value, int64_t exptime = 0,
                 mc::StoreMode mode = mc::StoreMode::kSet, uint64_t cas = 0) {
    return mc::Store(context_,
                     {.mode = mode, .key = key, .value = value, .exptime = exptime, .cas = cas});
  }
  mc::Result Delta(std::string_view key, bool incr) {
    mc::DeltaResult result;
    return mc::Delta(context_, {.key = key, .incr = incr, .delta = 1}, &result);
  }

  // A mix of memcached operations, each outcome counted once or twice.
  void RunWorkload() {
    ASSERT_EQ(Set("a", "1"), mc::Result::kStored);
    ASSERT_EQ(Set("b", "22"), mc::Result::kStored);
    ASSERT_EQ(Set("a", "x", 0, mc::StoreMode::kAdd), mc::Result::kNotStored);
    ASSERT_EQ(Set("b", "3", 0, mc::StoreMode::kAppend), mc::Result::kStored);
    mc::Item item;
    ASSERT_EQ(mc::Get(context_, "a", &item), mc::Result::kStored);
    ASSERT_EQ(mc::Get(context_, "a", &item), mc::Result::kStored);
    ASSERT_EQ(mc::Get(context_, "none", &item), mc::Result::kNotFound);
    ASSERT_EQ(mc::Touch(context_, "a", 100), mc::Result::kStored);
    ASSERT_EQ(mc::Touch(context_, "none", 100), mc::Result::kNotFound);
    ASSERT_EQ(Delta("a", true), mc::Result::kStored);
    ASSERT_EQ(Delta("a", true), mc::Result::kStored);
    ASSERT_EQ(Delta("none", true), mc::Result::kNotFound);
    ASSERT_EQ(Delta("a", false), mc::Result::kStored);
    ASSERT_EQ(Delta("none", false), mc::Result::kNotFound);
    ASSERT_EQ(Delta("none", false), mc::Result::kNotFound);
    ASSERT_EQ(mc::Get(context_, "b", &item), mc::Result::kStored);
    ASSERT_EQ(Set("b", "4", 0, mc::StoreMode::kCas, item.meta.Cas()), mc::Result::kStored);
    ASSERT_EQ(Set("b", "5", 0, mc::StoreMode::kCas, item.meta.Cas()), mc::Result::kExists);
    ASSERT_EQ(Set("none", "5", 0, mc::StoreMode::kCas, 7), mc::Result::kNotFound);
    ASSERT_EQ(Set("gone", "v"), mc::Result::kStored);
    ASSERT_EQ(mc::Delete(context_, {.key = "gone"}), mc::Result::kStored);
    ASSERT_EQ(mc::Delete(context_, {.key = "gone"}), mc::Result::kNotFound);
    ASSERT_EQ(mc::Delete(context_, {.key = "gone"}), mc::Result::kNotFound);
    ASSERT_EQ(mc::Flush(context_, 60), nullptr);  // delayed: keeps the items
    stats_.meta_cmds += 3;
    stats_.bytes_read += 1000;
    stats_.bytes_written += 2000;
    stats_.conns_current += 2;
    stats_.conns_total += 5;
    stats_.conns_rejected += 1;
    stats_.CountCommand(kCmdPutNr);  // a binary putnr is a memcached set too
  }
};

TEST_F(MetricsTest, GeneralStatsFollowMemcachedNamesAndOrder) {
  const std::string expected =
      "pid uptime time version pointer_size rusage_user rusage_system max_connections "
      "curr_connections total_connections rejected_connections cmd_get cmd_set cmd_flush "
      "cmd_touch cmd_meta get_hits get_misses get_expired delete_misses delete_hits incr_misses "
      "incr_hits decr_misses decr_hits cas_misses cas_hits cas_badval touch_hits touch_misses "
      "bytes_read bytes_written threads bytes curr_items total_items evictions tt_version tt_sid "
      "tt_expired_purged";
  std::string names;
  for (const std::string& name : StatNames()) names += (names.empty() ? "" : " ") + name;
  EXPECT_EQ(names, expected);
}

TEST_F(MetricsTest, GeneralStatsCountMemcachedOperations) {
  RunWorkload();
  auto stats = Stats();
  EXPECT_EQ(stats["cmd_get"], "4");
  EXPECT_EQ(stats["get_hits"], "3");
  EXPECT_EQ(stats["get_misses"], "1");
  EXPECT_EQ(stats["get_expired"], "0");
  // set a, set b, add, append, 3 × cas, set gone, putnr.
  EXPECT_EQ(stats["cmd_set"], "9");
  // All but the add and two of the cas requests stored an item.
  EXPECT_EQ(stats["total_items"], "6");
  EXPECT_EQ(stats["cmd_flush"], "1");
  EXPECT_EQ(stats["cmd_touch"], "2");
  EXPECT_EQ(stats["touch_hits"], "1");
  EXPECT_EQ(stats["touch_misses"], "1");
  EXPECT_EQ(stats["cmd_meta"], "3");
  EXPECT_EQ(stats["delete_hits"], "1");
  EXPECT_EQ(stats["delete_misses"], "2");
  EXPECT_EQ(stats["incr_hits"], "2");
  EXPECT_EQ(stats["incr_misses"], "1");
  EXPECT_EQ(stats["decr_hits"], "1");
  EXPECT_EQ(stats["decr_misses"], "2");
  EXPECT_EQ(stats["cas_hits"], "1");
  EXPECT_EQ(stats["cas_badval"], "1");
  EXPECT_EQ(stats["cas_misses"], "1");
  EXPECT_EQ(stats["bytes_read"], "1000");
  EXPECT_EQ(stats["bytes_written"], "2000");
  EXPECT_EQ(stats["curr_connections"], "2");
  EXPECT_EQ(stats["total_connections"], "5");
  EXPECT_EQ(stats["rejected_connections"], "1");
  EXPECT_EQ(stats["curr_items"], "2");
  EXPECT_EQ(stats["bytes"], std::to_string(engine_->SizeBytes()));
  EXPECT_EQ(stats["evictions"], "0");
}

TEST_F(MetricsTest, GeneralStatsDescribeTheProcess) {
  context_.start_time = NowMicros() / 1e6 - 90.5;
  context_.limits.max_conns = 321;
  auto stats = Stats();
  EXPECT_EQ(stats["pid"], std::to_string(getpid()));
  const int64_t uptime = std::stoll(stats["uptime"]);
  EXPECT_GE(uptime, 90);
  EXPECT_LE(uptime, 92);
  EXPECT_NEAR(std::stod(stats["time"]), NowMicros() / 1e6, 2);
  EXPECT_EQ(stats["version"], mc::kMemcachedVersion) << "libmemcached refuses a major version 0";
  EXPECT_EQ(stats["tt_version"], TT_VERSION);
  EXPECT_EQ(stats["pointer_size"], std::to_string(8 * sizeof(void*)));
  EXPECT_GE(std::stod(stats["rusage_user"]) + std::stod(stats["rusage_system"]), 0);
  // memcached prints CPU seconds with six decimals.
  EXPECT_EQ(stats["rusage_user"].size() - stats["rusage_user"].find('.'), 7u);
  EXPECT_EQ(stats["max_connections"], "321");
  EXPECT_EQ(stats["threads"], "4");
  EXPECT_EQ(stats["tt_sid"], "1");
}

TEST_F(MetricsTest, ExpiredReadsAndPurgesAreCounted) {
  ASSERT_EQ(Set("old", "v", -1), mc::Result::kStored);  // stored already expired
  ASSERT_EQ(Set("old2", "v", -1), mc::Result::kStored);
  mc::Item item;
  ASSERT_EQ(mc::Get(context_, "old", &item), mc::Result::kNotFound);
  ASSERT_EQ(engine_->SweepExpired(), 1u);
  auto stats = Stats();
  EXPECT_EQ(stats["get_expired"], "1");
  EXPECT_EQ(stats["get_misses"], "1");
  EXPECT_EQ(stats["tt_expired_purged"], "2");
  EXPECT_EQ(Prometheus().samples.at(Series("ttserver_expirations_total")), 2);
}

TEST_F(MetricsTest, SettingsReportOurLimits) {
  context_.limits.max_conns = 77;
  context_.limits.mc_item_max = 512 << 10;
  context_.limits.max_key = 250;
  context_.limits.idle_timeout_s = 2.5;
  auto settings = Stats("settings");
  EXPECT_EQ(settings["maxconns"], "77");
  EXPECT_EQ(settings["item_size_max"], "524288");  // --mc-item-max, memcached's -I
  EXPECT_EQ(settings["num_threads"], "4");
  EXPECT_EQ(settings["evictions"], "off");
  EXPECT_EQ(settings["cas_enabled"], "yes");
  EXPECT_EQ(settings["idle_timeout"], "2.5");
  EXPECT_EQ(settings["tt_max_key"], "250");
  EXPECT_EQ(settings["tt_request_timeout"], "0");
  context_.limits.idle_timeout_s = 30;
  EXPECT_EQ(Stats("settings")["idle_timeout"], "30");
}

// General stats that are not counters, which `stats reset` must leave alone.
bool IsGaugeOrFact(const std::string& name) {
  static const std::set<std::string> kNotCounters = {"pid",
                                                     "uptime",
                                                     "time",
                                                     "version",
                                                     "pointer_size",
                                                     "rusage_user",
                                                     "rusage_system",
                                                     "max_connections",
                                                     "curr_connections",
                                                     "threads",
                                                     "bytes",
                                                     "curr_items",
                                                     "evictions",
                                                     "tt_version",
                                                     "tt_sid",
                                                     "tt_expired_purged"};
  return kNotCounters.count(name) > 0;
}

TEST_F(MetricsTest, ResetZeroesEveryCounterAndKeepsTheGauges) {
  RunWorkload();
  ASSERT_EQ(Set("old", "v", -1), mc::Result::kStored);  // stored already expired
  mc::Item item;
  ASSERT_EQ(mc::Get(context_, "old", &item), mc::Result::kNotFound);  // purges it
  const auto before = Stats();
  // Every counter moved, so a counter that Reset() forgets shows below.
  for (const auto& [name, value] : before) {
    if (!IsGaugeOrFact(name)) {
      EXPECT_NE(value, "0") << name;
    }
  }

  StatList list;
  ASSERT_TRUE(MemcachedStats(context_, "reset", &list));
  EXPECT_TRUE(list.empty());

  const auto after = Stats();
  EXPECT_EQ(after.size(), before.size());
  for (const auto& [name, value] : after) {
    if (!IsGaugeOrFact(name)) {
      EXPECT_EQ(value, "0") << name;
    }
  }
  EXPECT_EQ(after.at("curr_connections"), "2");
  EXPECT_EQ(after.at("curr_items"), "2");
  EXPECT_EQ(after.at("bytes"), std::to_string(engine_->SizeBytes()));
  EXPECT_EQ(after.at("max_connections"), before.at("max_connections"));
  EXPECT_EQ(after.at("tt_expired_purged"), "1");  // the Engine's, not reset

  // Counting goes on from zero.
  ASSERT_EQ(mc::Get(context_, "a", &item), mc::Result::kStored);
  ASSERT_EQ(mc::Get(context_, "none", &item), mc::Result::kNotFound);
  const auto later = Stats();
  EXPECT_EQ(later.at("cmd_get"), "2");
  EXPECT_EQ(later.at("get_hits"), "1");
  EXPECT_EQ(later.at("get_misses"), "1");
}

TEST_F(MetricsTest, ResetZeroesEveryCommandSlot) {
  for (int id = 0; id < 256; ++id) stats_.CountCommand(static_cast<uint8_t>(id));
  stats_.conns_current = 3;
  stats_.Reset();
  for (int id = 0; id < 256; ++id) {
    EXPECT_EQ(stats_.CommandCount(static_cast<uint8_t>(id)), 0u) << id;
  }
  EXPECT_EQ(stats_.conns_current.load(), 3u);
}

// Slab classes, item sizes and a connection list have no counterpart here:
// these groups read as memcached's on an empty cache (conns: as if none),
// whatever the database holds.
TEST_F(MetricsTest, MemcachedOnlyGroupsReadAsAnEmptyCache) {
  RunWorkload();
  EXPECT_EQ(List("items"), StatList{});
  EXPECT_EQ(List("slabs"), (StatList{{"active_slabs", "0"}, {"total_malloced", "0"}}));
  EXPECT_EQ(List("sizes"), (StatList{{"sizes_status", "disabled"}}));
  EXPECT_EQ(List("conns"), StatList{});
  // Answering them reset nothing.
  EXPECT_EQ(Stats()["cmd_get"], "4");
}

TEST_F(MetricsTest, UnknownGroupsAreRefused) {
  RunWorkload();
  for (std::string_view group :
       {"foo", "Settings", "RESET", "reset ", "item", "detail", "dump", "stats"}) {
    StatList list = {{"kept", "1"}};
    EXPECT_FALSE(MemcachedStats(context_, group, &list)) << group;
    EXPECT_EQ(list, (StatList{{"kept", "1"}})) << group;
  }
  EXPECT_EQ(Stats()["cmd_get"], "4");  // a refused group resets nothing
}

TEST_F(MetricsTest, PrometheusCountsTheSameOperations) {
  RunWorkload();
  Scrape scrape = Prometheus();
  auto at = [&](std::string_view name, std::string_view labels = "") {
    auto it = scrape.samples.find(Series(name, labels));
    EXPECT_NE(it, scrape.samples.end()) << Series(name, labels);
    return it == scrape.samples.end() ? -1 : it->second;
  };
  for (const CommandInfo& command : kCommands) {
    EXPECT_EQ(at("ttserver_commands_total", "command=\"" + std::string(command.name) + "\","),
              static_cast<double>(stats_.CommandCount(command.id)))
        << command.name;
  }
  EXPECT_EQ(at("ttserver_commands_total", "command=\"get\","), 4);
  EXPECT_EQ(at("ttserver_commands_total", "command=\"put\","), 6);
  EXPECT_EQ(at("ttserver_commands_total", "command=\"putkeep\","), 1);
  EXPECT_EQ(at("ttserver_commands_total", "command=\"putcat\","), 1);
  EXPECT_EQ(at("ttserver_commands_total", "command=\"out\","), 3);
  EXPECT_EQ(at("ttserver_commands_total", "command=\"vanish\","), 1);
  EXPECT_EQ(at("ttserver_get_misses_total"), 1);
  EXPECT_EQ(at("ttserver_get_expired_total"), 0);
  EXPECT_EQ(at("ttserver_out_misses_total"), 2);
  EXPECT_EQ(at("ttserver_put_misses_total"), 3);
  EXPECT_EQ(at("ttserver_memcached_commands_total", "command=\"touch\","), 2);
  EXPECT_EQ(at("ttserver_memcached_commands_total", "command=\"meta\","), 3);
  EXPECT_EQ(at("ttserver_memcached_hits_total", "command=\"touch\","), 1);
  EXPECT_EQ(at("ttserver_memcached_hits_total", "command=\"incr\","), 2);
  EXPECT_EQ(at("ttserver_memcached_hits_total", "command=\"decr\","), 1);
  EXPECT_EQ(at("ttserver_memcached_hits_total", "command=\"cas\","), 1);
  EXPECT_EQ(at("ttserver_memcached_misses_total", "command=\"touch\","), 1);
  EXPECT_EQ(at("ttserver_memcached_misses_total", "command=\"incr\","), 1);
  EXPECT_EQ(at("ttserver_memcached_misses_total", "command=\"decr\","), 2);
  EXPECT_EQ(at("ttserver_memcached_misses_total", "command=\"cas\","), 1);
  EXPECT_EQ(at("ttserver_memcached_cas_badval_total"), 1);
  EXPECT_EQ(at("ttserver_received_bytes_total"), 1000);
  EXPECT_EQ(at("ttserver_sent_bytes_total"), 2000);
  EXPECT_EQ(at("ttserver_open_connections"), 2);
  EXPECT_EQ(at("ttserver_connections_accepted_total"), 5);
  EXPECT_EQ(at("ttserver_connections_rejected_total"), 1);
  EXPECT_EQ(at("ttserver_max_connections"), context_.limits.max_conns);
  EXPECT_EQ(at("ttserver_items"), 2);
  EXPECT_EQ(at("ttserver_database_bytes"), static_cast<double>(engine_->SizeBytes()));
  EXPECT_EQ(at("ttserver_evictions_total"), 0);
  EXPECT_EQ(at("ttserver_expirations_total"), 0);
  EXPECT_EQ(at("ttserver_worker_threads"), 4);
}

TEST_F(MetricsTest, PrometheusDescribesTheProcess) {
  context_.start_time = 1700000000.25;
  Scrape scrape = Prometheus();
  EXPECT_EQ(scrape.types.at("ttserver_cpu_seconds_total"), "counter");
  EXPECT_GE(scrape.samples.at(Series("ttserver_cpu_seconds_total", "mode=\"user\",")), 0);
  EXPECT_GE(scrape.samples.at(Series("ttserver_cpu_seconds_total", "mode=\"system\",")), 0);
  EXPECT_GT(scrape.samples.at(Series("ttserver_resident_memory_bytes")), 0);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_start_time_seconds")), 1700000000.25);
  EXPECT_NEAR(scrape.samples.at(Series("ttserver_uptime_seconds")),
              NowMicros() / 1e6 - 1700000000.25, 5);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_info",
                                     "database_path=\"*\",database_type=\"" + store_->TypeName() +
                                         "\",sid=\"1\",version=\"" TT_VERSION "\",")),
            1);
  // No ulog: no ulog metrics.
  EXPECT_EQ(scrape.types.count("ttserver_ulog_offset_bytes"), 0u);
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/tt-metrics-XXXXXX";
    path_ = mkdtemp(pattern);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class MetricsOnDiskTest : public MetricsTest {
 protected:
  void SetUp() override {}
  TempDir dir_;
};

TEST_F(MetricsOnDiskTest, LabelValuesAreEscaped) {
  const std::string path = dir_.path() + "/q\"uo\\te.kch";
  Open(path);
  Scrape scrape = Prometheus();
  EXPECT_EQ(
      scrape.samples.count(Series("ttserver_info", "database_path=\"" + path +
                                                       "\",database_type=\"" + store_->TypeName() +
                                                       "\",sid=\"1\",version=\"" TT_VERSION "\",")),
      1u);
}

TEST_F(MetricsOnDiskTest, UlogPositionIsReported) {
  std::filesystem::create_directory(dir_.path() + "/ulog");
  Open("*", dir_.path() + "/ulog");
  ASSERT_EQ(Set("k", "v"), mc::Result::kStored);
  ASSERT_EQ(mc::Delete(context_, {.key = "k"}), mc::Result::kStored);
  const UlogPosition pos = ulog_->Position();
  ASSERT_GT(pos.offset, 0u);
  auto stats = Stats();
  EXPECT_EQ(stats["tt_ulog_file"], std::to_string(pos.file));
  EXPECT_EQ(stats["tt_ulog_offset"], std::to_string(pos.offset));
  std::vector<std::string> names = StatNames();
  EXPECT_EQ(names.back(), "tt_ulog_offset");
  Scrape scrape = Prometheus();
  EXPECT_EQ(scrape.samples.at(Series("ttserver_ulog_file")), pos.file);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_ulog_offset_bytes")), pos.offset);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_ulog_records_total")), 2);
}

// ---- the binary stat command's text ----

std::vector<std::pair<std::string, std::string>> StatLines(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    lines.emplace_back(line.substr(0, tab), tab == std::string::npos ? "" : line.substr(tab + 1));
  }
  return lines;
}

TEST_F(MetricsTest, StatKeepsTheOriginalFieldsFirst) {
  std::vector<std::string> original = {"version", "libver",  "protver", "os",      "time",
                                       "pid",     "sid",     "type",    "path",    "rnum",
                                       "size",    "bigend",  "fd",      "loadavg", "memsize",
                                       "memrss",  "ru_user", "ru_sys",  "ru_real"};
  for (const CommandInfo& command : kCommands)
    original.push_back("cnt_" + std::string(command.name));
  for (const char* miss : {"cnt_put_miss", "cnt_out_miss", "cnt_get_miss"})
    original.push_back(miss);
  auto lines = StatLines(BuildStatReport(context_, 7, false));
  ASSERT_GT(lines.size(), original.size());
  for (size_t i = 0; i < original.size(); ++i) EXPECT_EQ(lines[i].first, original[i]) << i;
  EXPECT_EQ(lines[0].second, "1.1.41");
  EXPECT_EQ(lines[12].second, "7");  // fd
}

TEST_F(MetricsTest, StatAddsOurCountersAfterTheOriginals) {
  RunWorkload();
  ASSERT_EQ(Set("old", "v", -1), mc::Result::kStored);
  ASSERT_EQ(engine_->SweepExpired(), 1u);
  auto lines = StatLines(BuildStatReport(context_, 7, false));
  std::map<std::string, std::string> stat(lines.begin(), lines.end());
  // The memcached counters under memcached's names, the same values as `stats`.
  auto stats = Stats();
  for (const char* name : {"cmd_touch", "cmd_meta", "get_expired", "incr_misses", "incr_hits",
                           "decr_misses", "decr_hits", "cas_misses", "cas_hits", "cas_badval",
                           "touch_hits", "touch_misses", "bytes_read", "bytes_written"}) {
    ASSERT_EQ(stat.count(name), 1u) << name;
    EXPECT_EQ(stat[name], stats[name]) << name;
  }
  EXPECT_EQ(stat["incr_hits"], "2");
  EXPECT_EQ(stat["bytes_written"], "2000");
  EXPECT_EQ(stat["expired_purged"], "1");
  EXPECT_EQ(stat["cnt_get"], "4");
  EXPECT_EQ(stat["cnt_get_miss"], "1");
}

TEST_F(MetricsTest, MaskedStatHasOnlyTheOriginalCounters) {
  RunWorkload();
  auto lines = StatLines(BuildStatReport(context_, 7, true));
  ASSERT_EQ(lines.size(), static_cast<size_t>(kCommandCount) + 3);
  for (const auto& [name, value] : lines) EXPECT_TRUE(name.starts_with("cnt_")) << name;
}

TEST_F(MetricsTest, ResetShowsInStatAndPrometheus) {
  RunWorkload();
  ASSERT_EQ(Set("old", "v", -1), mc::Result::kStored);
  ASSERT_EQ(engine_->SweepExpired(), 1u);
  StatList list;
  ASSERT_TRUE(MemcachedStats(context_, "reset", &list));

  auto lines = StatLines(BuildStatReport(context_, 7, false));
  std::map<std::string, std::string> stat(lines.begin(), lines.end());
  for (const auto& [name, value] : stat) {
    if (name.starts_with("cnt_")) {
      EXPECT_EQ(value, "0") << name;
    }
  }
  for (const char* name :
       {"cmd_touch", "cmd_meta", "incr_hits", "cas_badval", "touch_misses", "bytes_read",
        "bytes_written", "total_connections", "rejected_connections"}) {
    EXPECT_EQ(stat.at(name), "0") << name;
  }
  EXPECT_EQ(stat.at("curr_connections"), "2");
  EXPECT_EQ(stat.at("rnum"), "2");
  EXPECT_EQ(stat.at("expired_purged"), "1");

  Scrape scrape = Prometheus();
  for (const auto& [series, value] : scrape.samples) {
    const std::string family = series.substr(0, series.find('{'));
    // Counted by the process and the Engine, not by Stats (no ulog here).
    if (family == "ttserver_cpu_seconds_total" || family == "ttserver_expirations_total") {
      continue;
    }
    if (scrape.types.at(family) == "counter") {
      EXPECT_EQ(value, 0) << series;
    }
  }
  EXPECT_EQ(scrape.samples.at(Series("ttserver_expirations_total")), 1);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_open_connections")), 2);
  EXPECT_EQ(scrape.samples.at(Series("ttserver_items")), 2);
}

}  // namespace
}  // namespace tt
