// What every Sink must do with each record kind (repl/tail/tail_sink.h), as one
// check that the SQLite unit test and the PostgreSQL integration test share.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "repl/tail/tail_sink.h"
#include "tests/repl/tail/tail_test_bodies.h"

namespace tt::testing {

// The committed value of `key` in `sink` ("<none>" when absent).
inline std::string SinkValue(Sink* sink, std::string_view key) {
  std::optional<std::string> value;
  EXPECT_TRUE(sink->Begin().ok());
  EXPECT_TRUE(sink->Get(key, &value).ok());
  sink->Rollback();
  return value.value_or("<none>");
}

// Applies `records` through `sink` in one transaction committed at the last
// one's timestamp; the first failure (then nothing is committed).
inline Status ApplyAndCommit(Sink* sink, const std::vector<UlogRecord>& records) {
  Status s = sink->Begin();
  for (const UlogRecord& record : records) {
    if (s.ok()) s = ApplyRecordToSink(record, sink);
  }
  if (!s.ok()) {
    sink->Rollback();
    return s;
  }
  return sink->Commit("test", records.empty() ? 0 : records.back().ts);
}

// Applies records of every kind to the empty, prepared `sink` and checks
// the rows: effects, binary keys and values, the original's command records
// computed from the row, misc functions, failed records, vanish.
inline void ExpectSinkSemantics(Sink* sink) {
  using requests::KeyValue;
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  ASSERT_TRUE(ApplyAndCommit(sink,
                             {
                                 Record(1, PutBody("a", "1")),
                                 Record(2, PutBody("b", "2")),
                                 Record(3, PutBody("a", "3")),
                                 Record(4, OutBody("b")),
                                 Record(5, PutBody(all_bytes, all_bytes)),
                                 Record(6, Logged(KeyValue(kCmdPut, "failed", "v"), false)),
                             })
                  .ok());
  EXPECT_EQ(SinkValue(sink, "a"), "3");
  EXPECT_EQ(SinkValue(sink, "b"), "<none>");
  EXPECT_EQ(SinkValue(sink, all_bytes), all_bytes);
  EXPECT_EQ(SinkValue(sink, "failed"), "<none>");

  ASSERT_TRUE(ApplyAndCommit(sink,
                             {
                                 Record(7, Logged(KeyValue(kCmdPutKeep, "keep", "first"))),
                                 Record(8, Logged(KeyValue(kCmdPutKeep, "keep", "second"))),
                                 Record(9, Logged(KeyValue(kCmdPutCat, "cat", "ab"))),
                                 Record(10, Logged(KeyValue(kCmdPutCat, "cat", "cd"))),
                                 Record(11, Logged(requests::PutShl("shl", "abcdef", 4))),
                                 Record(12, Logged(requests::PutShl("shl", "gh", 4))),
                                 // On a missing key the whole value is stored, not its tail.
                                 Record(12, Logged(requests::PutShl("newshl", "abcdef", 2))),
                                 Record(13, Logged(requests::AddInt("int", 5))),
                                 Record(14, Logged(requests::AddInt("int", -7))),
                                 Record(15, Logged(requests::AddDouble("dbl", 1.25))),
                                 Record(16, Logged(requests::AddDouble("dbl", 2.5))),
                             })
                  .ok());
  EXPECT_EQ(SinkValue(sink, "keep"), "first");
  EXPECT_EQ(SinkValue(sink, "cat"), "abcd");
  EXPECT_EQ(SinkValue(sink, "shl"), "efgh");
  EXPECT_EQ(SinkValue(sink, "newshl"), "abcdef");
  int32_t sum = 0;
  std::string stored = SinkValue(sink, "int");
  ASSERT_EQ(stored.size(), sizeof sum);
  std::memcpy(&sum, stored.data(), sizeof sum);
  EXPECT_EQ(sum, -2);
  double total = 0;
  stored = SinkValue(sink, "dbl");
  ASSERT_EQ(stored.size(), sizeof total);
  std::memcpy(&total, stored.data(), sizeof total);
  EXPECT_EQ(total, 3.75);

  ASSERT_TRUE(ApplyAndCommit(sink, {Record(17, MiscBody("putlist", {"m", "1", "n", "2", "o", "3"})),
                                    Record(18, MiscBody("outlist", {"m", "missing"})),
                                    Record(19, MiscBody("putcat", {"n", "x"})),
                                    Record(20, MiscBody("out", {"o"})),
                                    Record(21, MiscBody("getlist", {"n"}))})
                  .ok());
  EXPECT_EQ(SinkValue(sink, "m"), "<none>");
  EXPECT_EQ(SinkValue(sink, "n"), "2x");
  EXPECT_EQ(SinkValue(sink, "o"), "<none>");

  ASSERT_TRUE(ApplyAndCommit(sink, {Record(22, VanishBody())}).ok());
  EXPECT_EQ(SinkValue(sink, "a"), "<none>");
  EXPECT_EQ(SinkValue(sink, "n"), "<none>");
  uint64_t checkpoint = 0;
  ASSERT_TRUE(sink->LoadCheckpoint("test", &checkpoint).ok());
  EXPECT_EQ(checkpoint, 22u);

  // Refusals leave nothing behind, the records before them included.
  Status s = ApplyAndCommit(sink, {Record(23, PutBody("n", "not a number")),
                                   Record(24, Logged(requests::AddInt("n", 1)))});
  EXPECT_EQ(s.code(), Status::Code::kFailed) << s.ToString();
  EXPECT_NE(s.message().find("'n'"), std::string::npos) << s.message();
  EXPECT_EQ(SinkValue(sink, "n"), "<none>");
  s = ApplyAndCommit(sink, {Record(25, MiscBody("setindex", {"x"}))});
  EXPECT_EQ(s.code(), Status::Code::kUnsupported) << s.ToString();
  // A table database's misc put: the key, then column/value pairs.
  for (const char* name : {"put", "putkeep", "putcat"}) {
    s = ApplyAndCommit(sink, {Record(25, MiscBody(name, {"row", "name", "alice"}))});
    EXPECT_EQ(s.code(), Status::Code::kUnsupported) << name << ": " << s.ToString();
    EXPECT_EQ(SinkValue(sink, "row"), "<none>") << name;
  }

  // The original stores a sum of INT_MIN or NaN and logs result 01 for it;
  // an addint the origin refused (not a number there either) changes nothing.
  ASSERT_TRUE(
      ApplyAndCommit(
          sink,
          {Record(26, Logged(requests::AddInt("min", INT32_MIN), false)),
           Record(27, Logged(requests::AddDouble("nan", std::numeric_limits<double>::quiet_NaN()),
                             false)),
           Record(28, PutBody("text", "abc")),
           Record(29, Logged(requests::AddInt("text", 1), false))})
          .ok());
  stored = SinkValue(sink, "min");
  ASSERT_EQ(stored.size(), sizeof sum);
  std::memcpy(&sum, stored.data(), sizeof sum);
  EXPECT_EQ(sum, INT32_MIN);
  stored = SinkValue(sink, "nan");
  ASSERT_EQ(stored.size(), sizeof total);
  std::memcpy(&total, stored.data(), sizeof total);
  EXPECT_TRUE(std::isnan(total)) << total;
  EXPECT_EQ(SinkValue(sink, "text"), "abc");

  // Without a transaction (a failed one was rolled back) nothing is saved.
  EXPECT_FALSE(sink->Commit("test", 1000).ok());
  ASSERT_TRUE(sink->LoadCheckpoint("test", &checkpoint).ok());
  EXPECT_EQ(checkpoint, 29u);
}

}  // namespace tt::testing
