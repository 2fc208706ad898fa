#include "repl/feeder.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/coding.h"
#include "common/commands.h"
#include "tests/support/temp_dir.h"
#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace tt {
namespace {

using std::chrono::steady_clock;

TEST(AppendForSlaveTest, RecordsOfTheSlaveOrFromItAreNotSent) {
  std::string out;
  UlogRecord own{10, 2, 0, PutBody("k", "v")};
  UlogRecord relayed{11, 3, 2, PutBody("k", "v")};
  EXPECT_FALSE(AppendForSlave(&own, 2, false, &out));
  EXPECT_FALSE(AppendForSlave(&relayed, 2, false, &out));
  EXPECT_TRUE(out.empty());
  UlogRecord other{12, 3, 1, PutBody("k", "v")};
  EXPECT_TRUE(AppendForSlave(&other, 2, false, &out));
  std::string expected;
  EncodeWireRecord(other, &expected);
  EXPECT_EQ(out, expected);
}

TEST(AppendForSlaveTest, WireFormHasAFourByteSidAndPutmetaBecomesAPut) {
  std::string out;
  UlogRecord rec{0x0102030405060708, 0x0A0B, 0, PutMetaBody("k", "v", ValueMeta{.flags = 9})};
  ASSERT_TRUE(AppendForSlave(&rec, 2, false, &out));
  const std::string body = PutBody("k", "v");
  ASSERT_EQ(out.size(), kRecordHeaderSize + body.size());
  EXPECT_EQ(static_cast<uint8_t>(out[0]), kMagicRecord);
  EXPECT_EQ(DecodeU64(out.data() + 1), 0x0102030405060708u);
  EXPECT_EQ(DecodeU32(out.data() + 9), 0x0A0Bu);
  EXPECT_EQ(DecodeU32(out.data() + 13), body.size());
  EXPECT_EQ(out.substr(kRecordHeaderSize), body);
}

TEST(AppendForSlaveTest, AnExtendedStreamCarriesPutmetaAsItIs) {
  std::string out;
  UlogRecord rec{7, 3, 0, PutMetaBody("k", "v", ValueMeta{.flags = 9, .expires_at = 2000000000})};
  const UlogRecord original = rec;
  ASSERT_TRUE(AppendForSlave(&rec, 2, true, &out));
  std::string expected;
  EncodeWireRecord(original, &expected);
  EXPECT_EQ(out, expected);
}

// The slave's end of a socket pair: reads stream items as a slave does.
class SlaveEnd {
 public:
  explicit SlaveEnd(int fd) : fd_(fd) {}
  ~SlaveEnd() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  // Exactly n bytes within timeout_ms (fewer on timeout or EOF).
  std::string Read(size_t n, int timeout_ms = 5000) {
    std::string got;
    auto deadline = steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (got.size() < n) {
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[65536];
      ssize_t r = read(fd_, buf, std::min(sizeof buf, n - got.size()));
      if (r <= 0) break;
      got.append(buf, static_cast<size_t>(r));
    }
    return got;
  }
  // The next item: a NOP (*is_nop) or a record. false on timeout, EOF or garbage.
  bool Next(UlogRecord* rec, bool* is_nop, int timeout_ms = 5000) {
    std::string item = Read(1, timeout_ms);
    if (item.size() != 1) return false;
    *is_nop = static_cast<uint8_t>(item[0]) == kMagicNop;
    if (*is_nop) return true;
    item += Read(kRecordHeaderSize - 1, timeout_ms);
    if (item.size() != kRecordHeaderSize) return false;
    item += Read(DecodeU32(item.data() + 13), timeout_ms);
    size_t consumed = 0;
    return DecodeWireRecord(item, rec, &consumed) == DecodeResult::kOk;
  }
  // The next record, skipping NOPs; *nops counts them.
  bool NextRecord(UlogRecord* rec, int* nops = nullptr, int timeout_ms = 5000) {
    bool is_nop = true;
    while (Next(rec, &is_nop, timeout_ms)) {
      if (!is_nop) return true;
      if (nops != nullptr) ++*nops;
    }
    return false;
  }
  bool SeesEof(int timeout_ms) {
    auto deadline = steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char buf[65536];
      if (read(fd_, buf, sizeof buf) <= 0) return true;
    }
    return false;
  }

 private:
  int fd_;
};

class FeederTest : public ::testing::Test {
 protected:
  void SetUp() override {
    UlogWriterOptions options;
    options.dir = dir_.path();
    options.clock = &clock_;
    ASSERT_TRUE(UlogWriter::Open(options, &ulog_).ok());
  }
  void TearDown() override {
    if (feeder_ != nullptr) feeder_->Stop();
  }
  void StartFeeder(double nop_interval_s, double send_timeout_s = 60) {
    FeederOptions options;
    options.ulog = ulog_.get();
    options.slaves = &slaves_;
    options.nop_interval_s = nop_interval_s;
    options.send_timeout_s = send_timeout_s;
    feeder_ = std::make_unique<Feeder>(options);
  }
  uint64_t Append(uint16_t sid, uint16_t mid, const std::string& key, const std::string& value) {
    uint64_t ts = 0, seq = 0;
    EXPECT_TRUE(ulog_->Append(sid, mid, PutBody(key, value), &ts, &seq).ok());
    return ts;
  }
  // Serves a new slave; returns its end of the socket pair.
  std::unique_ptr<SlaveEnd> Serve(uint64_t start_ts, uint32_t slave_sid,
                                  std::string preamble = "") {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    feeder_->Serve(fds[0], "test slave", std::move(preamble), start_ts, slave_sid);
    return std::make_unique<SlaveEnd>(fds[1]);
  }
  bool GaugeReaches(uint64_t value, int timeout_ms = 10000) {
    auto deadline = steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (slaves_.load() != value && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return slaves_.load() == value;
  }

  testing::TempDir dir_;
  TimestampClock clock_;
  std::unique_ptr<UlogWriter> ulog_;
  std::atomic<uint64_t> slaves_{0};
  std::unique_ptr<Feeder> feeder_;
};

TEST_F(FeederTest, StreamsFromTheTimestampFilteredThenNopsThenNewRecords) {
  StartFeeder(0.05);
  Append(1, 0, "before", "x");
  const uint64_t start = Append(1, 0, "a", "1");
  Append(2, 0, "own", "x");      // written on the slave
  Append(3, 2, "relayed", "x");  // came to us from the slave
  Append(3, 1, "b", "2");
  auto slave = Serve(start, 2, "SID!");
  EXPECT_EQ(slave->Read(4), "SID!");
  UlogRecord rec;
  ASSERT_TRUE(slave->NextRecord(&rec));
  EXPECT_EQ(rec.ts, start);
  EXPECT_EQ(rec.sid, 1);
  EXPECT_EQ(rec.body, PutBody("a", "1"));
  ASSERT_TRUE(slave->NextRecord(&rec));
  EXPECT_EQ(rec.sid, 3);
  EXPECT_EQ(rec.body, PutBody("b", "2"));
  EXPECT_EQ(slaves_.load(), 1u);

  bool is_nop = false;
  ASSERT_TRUE(slave->Next(&rec, &is_nop));
  EXPECT_TRUE(is_nop);
  ASSERT_TRUE(slave->Next(&rec, &is_nop));
  EXPECT_TRUE(is_nop);

  const uint64_t later = Append(1, 0, "c", "3");
  ASSERT_TRUE(slave->NextRecord(&rec));
  EXPECT_EQ(rec.ts, later);
  EXPECT_EQ(rec.body, PutBody("c", "3"));
}

TEST_F(FeederTest, NopsKeepComingWhileSkippingManyFilteredRecords) {
  StartFeeder(0.001);
  for (int i = 0; i < 100000; ++i) Append(2, 0, "k" + std::to_string(i), "v");
  Append(1, 0, "last", "v");
  auto slave = Serve(1, 2);
  UlogRecord rec;
  int nops = 0;
  ASSERT_TRUE(slave->NextRecord(&rec, &nops));
  EXPECT_EQ(rec.body, PutBody("last", "v"));
  // One NOP opens the stream; the others were sent while skipping.
  EXPECT_GE(nops, 2);
}

TEST_F(FeederTest, SlaveThatDisconnectsEndsItsStream) {
  StartFeeder(0.02);
  auto slave = Serve(1, 2);
  ASSERT_TRUE(GaugeReaches(1));
  slave->Close();
  EXPECT_TRUE(GaugeReaches(0));
}

TEST_F(FeederTest, SlaveThatTakesNothingIsDroppedAfterTheSendTimeout) {
  StartFeeder(1, /*send_timeout_s=*/0.2);
  const std::string big(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) Append(1, 0, "k", big);
  auto slave = Serve(1, 2);
  EXPECT_TRUE(GaugeReaches(0));
  EXPECT_TRUE(slave->SeesEof(5000));
}

TEST_F(FeederTest, StopEndsIdleAndBlockedStreamsPromptly) {
  StartFeeder(/*nop_interval_s=*/60, /*send_timeout_s=*/60);
  // Every record is its own (sid 1): it waits for the log, the next NOP a minute away.
  auto idle = Serve(1, 1);
  const std::string big(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) Append(1, 0, "k", big);
  auto blocked = Serve(1, 3);  // never reads: its sends wait for room
  auto drained = Serve(1, 4);
  UlogRecord rec;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(drained->NextRecord(&rec));
  ASSERT_TRUE(GaugeReaches(3));
  const auto start = steady_clock::now();
  feeder_->Stop();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(slaves_.load(), 0u);
  EXPECT_TRUE(idle->SeesEof(1000));
}

TEST_F(FeederTest, ServeAfterStopClosesTheSocket) {
  StartFeeder(1);
  feeder_->Stop();
  auto slave = Serve(1, 2);
  EXPECT_TRUE(slave->SeesEof(1000));
  EXPECT_EQ(slaves_.load(), 0u);
}

}  // namespace
}  // namespace tt
