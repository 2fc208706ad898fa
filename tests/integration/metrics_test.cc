// The Prometheus page on --metrics-port: well-formed text exposition
// (format 0.0.4) and counters that match what a client did, and agree with
// memcached's `stats`, which reads the same counters.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "client/remote_db.h"
#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

// Sample name with its labels as written ("a_total{command=\"get\"}") -> value.
using Samples = std::map<std::string, double>;

bool ValidMetricName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  }
  return true;
}

// Parses a text exposition, failing the test on any line that does not follow
// the format, and on any sample whose family has no # TYPE line before it.
Samples ParseExposition(const std::string& text) {
  Samples samples;
  std::map<std::string, std::string> types;  // family -> type
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    if (line.starts_with("# TYPE ")) {
      std::istringstream fields(line.substr(7));
      std::string family, type;
      fields >> family >> type;
      EXPECT_TRUE(ValidMetricName(family)) << line;
      static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                   "untyped"};
      EXPECT_TRUE(kTypes.contains(type)) << line;
      EXPECT_TRUE(types.emplace(family, type).second) << "second TYPE line: " << line;
      continue;
    }
    if (line.starts_with("#")) continue;  // HELP and comments
    // name[{labels}] value [timestamp]; label values may hold escaped quotes.
    size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) {
      ADD_FAILURE() << "not a sample: " << line;
      continue;
    }
    const std::string name = line.substr(0, name_end);
    EXPECT_TRUE(ValidMetricName(name)) << line;
    size_t value_start = name_end;
    if (line[name_end] == '{') {
      bool quoted = false;
      size_t i = name_end + 1;
      for (; i < line.size() && (quoted || line[i] != '}'); ++i) {
        if (line[i] == '\\') {
          ++i;
        } else if (line[i] == '"') {
          quoted = !quoted;
        }
      }
      if (i >= line.size()) {
        ADD_FAILURE() << "unterminated labels: " << line;
        continue;
      }
      value_start = i + 1;
    }
    std::istringstream rest(line.substr(value_start));
    std::string value;
    rest >> value;
    double number = 0;
    if (value == "NaN" || value == "+Inf" || value == "-Inf") {
      number = value == "-Inf" ? -1e308 : 1e308;
    } else {
      size_t used = 0;
      EXPECT_NO_THROW(number = std::stod(value, &used)) << line;
      EXPECT_EQ(used, value.size()) << line;
    }
    // The family: the name itself, or for histograms and summaries the name
    // without its _bucket / _sum / _count suffix.
    std::string family = name;
    if (!types.contains(family)) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        if (name.ends_with(suffix)) family = name.substr(0, name.size() - strlen(suffix));
      }
    }
    EXPECT_TRUE(types.contains(family)) << "no # TYPE before " << line;
    EXPECT_TRUE(samples.emplace(line.substr(0, value_start), number).second)
        << "duplicate sample " << line;
  }
  return samples;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_TTSERVER();
    metrics_port_ = FreePort();
    server_ = StartTtserver(dir_, {"--metrics-port", std::to_string(metrics_port_)});
    ASSERT_TRUE(server_->started());
  }

  // GET /metrics with curl; the headers go to *headers.
  Samples Scrape(std::string* headers = nullptr) {
    std::string out, err;
    const std::string header_file = dir_.Join("headers");
    // --retry-connrefused: the data port is up (ServerProcess waited for
    // it), the metrics port may follow a moment later.
    int status = Curl({"-f", "--retry", "5", "--retry-connrefused", "-D", header_file,
                       Url(metrics_port_, "/metrics")},
                      &out, &err);
    EXPECT_EQ(status, 0) << err;
    if (headers != nullptr) *headers = ReadWholeFile(header_file);
    return ParseExposition(out);
  }

  TempDir dir_;
  int metrics_port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

const std::string kGets = "ttserver_commands_total{command=\"get\"}";
const std::string kPuts = "ttserver_commands_total{command=\"put\"}";
const std::string kGetMisses = "ttserver_get_misses_total";
const std::string kAccepted = "ttserver_connections_accepted_total";
const std::string kOpen = "ttserver_open_connections";

TEST_F(MetricsTest, PrometheusTextMatchesWhatClientsDid) {
  std::string headers;
  Samples first = Scrape(&headers);
  EXPECT_NE(headers.find("Content-Type: text/plain"), std::string::npos) << headers;
  for (const std::string& name : {kGets, kPuts, kGetMisses, kAccepted, kOpen}) {
    EXPECT_TRUE(first.contains(name)) << name << " missing";
  }
  // Whether a scrape's own connection counts is the server's choice: measure
  // it with a scrape that nothing else happened around.
  Samples second = Scrape();
  const double per_scrape = second[kAccepted] - first[kAccepted];
  EXPECT_TRUE(per_scrape == 0 || per_scrape == 1) << per_scrape;

  // Three connections held open, one per protocol. Over memcached text two
  // sets and five single-key gets, three of them misses; a hit over HTTP and
  // a miss over Tokyo Tyrant binary: every protocol counts in the same
  // counters.
  RawConnection text(server_->port());
  EXPECT_EQ(TextExchange(text, "set a 0 0 1\r\nx\r\n"), "STORED\r\n");
  EXPECT_EQ(TextExchange(text, "set b 0 0 1\r\ny\r\n"), "STORED\r\n");
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    TextExchange(text, std::string("get ") + key + "\r\n", "END\r\n");
  }
  RawConnection http(server_->port());
  EXPECT_TRUE(TextExchange(http, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "\r\n\r\n")
                  .starts_with("HTTP/1.1 200 "));
  RemoteDB binary;
  ASSERT_TRUE(binary.Open("127.0.0.1", server_->port(), 10).ok());
  std::string value;
  EXPECT_EQ(binary.Get("zz", &value).code(), Status::Code::kNotFound);

  Samples third = Scrape();
  EXPECT_EQ(third[kGets] - second[kGets], 7);
  EXPECT_EQ(third[kGetMisses] - second[kGetMisses], 4);
  EXPECT_EQ(third[kPuts] - second[kPuts], 2);
  EXPECT_EQ(third[kAccepted] - second[kAccepted], 3 + per_scrape);

  // memcached's stats and the binary stat command read the same counters
  // (the stats connection is one more accepted).
  std::map<std::string, std::string> stats = McStats(server_->port());
  EXPECT_EQ(std::stod(stats["cmd_get"]), third[kGets]);
  EXPECT_EQ(std::stod(stats["get_misses"]), third[kGetMisses]);
  EXPECT_EQ(std::stod(stats["total_connections"]), third[kAccepted] + 1);
  std::string stat;
  ASSERT_TRUE(binary.Stat(&stat).ok());
  EXPECT_NE(stat.find("\ncnt_get\t" + std::to_string(static_cast<long>(third[kGets])) + "\n"),
            std::string::npos)
      << stat;
  EXPECT_NE(
      stat.find("\ncnt_get_miss\t" + std::to_string(static_cast<long>(third[kGetMisses])) + "\n"),
      std::string::npos)
      << stat;

  // Open now: the three, plus the scrape's own if counted. The server learns
  // of the earlier connections' ends asynchronously, so look until it has
  // (a wrong count stays wrong and fails after the deadline).
  double open = -1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((open = Scrape()[kOpen]) != 3 + per_scrape &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(open, 3 + per_scrape);
}

TEST_F(MetricsTest, OnlyMetricsIsServedOnTheMetricsPort) {
  EXPECT_EQ(CurlStatus({}, Url(metrics_port_, "/a-key"), dir_.Join("body")), 404);
}

}  // namespace
}  // namespace tt::testing
