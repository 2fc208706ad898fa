// The SessionWorld (a ServerContext over a real Engine, by default on an
// in-memory Kyoto Cabinet store) as a fixture for unit tests of protocol
// sessions, and a Feed() that drives a session the way a connection does
// (running a deferred request's work inline).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/ttserver/session_world.h"
#include "ttserver/net/protocol_session.h"

namespace tt::testing {

class SessionFixture : public ::testing::Test, public SessionWorld {
 protected:
  // Opens database `name` ("*" = in-memory hash) and, if `ulog_dir` is not
  // empty, an update log there; fills context_.
  void Open(const std::string& name, const std::string& ulog_dir = "") {
    ASSERT_TRUE(SessionWorld::Open(name, ulog_dir).ok());
  }
  void SetUp() override { Open("*"); }

  // Feeds `in` to `session` from its start, runs the work of deferred
  // requests inline, and returns every reply byte. *result gets the last
  // outcome, *consumed the bytes used.
  static std::string Feed(ProtocolSession& session, std::string_view in,
                          ProtocolSession::Result* result = nullptr,
                          size_t* consumed_out = nullptr) {
    std::string out;
    size_t consumed = 0;
    ProtocolSession::Result r;
    for (;;) {
      size_t used = 0;
      r = session.Process(in.substr(consumed), &used, &out);
      consumed += used;
      if (r == ProtocolSession::Result::kDeferred) {
        ProtocolSession::DeferredWork work = session.TakeDeferred();
        if (!work) {
          ADD_FAILURE() << "kDeferred without work";
          break;
        }
        out += work();
        continue;
      }
      // A session stops after kReplyBatchBytes of replies: go on as a
      // connection does once its output has drained.
      if (r == ProtocolSession::Result::kContinue && used > 0 && consumed < in.size() &&
          !session.MidRequest()) {
        continue;
      }
      break;
    }
    if (result != nullptr) *result = r;
    if (consumed_out != nullptr) *consumed_out = consumed;
    return out;
  }

  // Feeds `in` one byte at a time, as a slow client would, keeping the
  // unconsumed bytes as a connection does; returns every reply byte.
  static std::string FeedByteByByte(ProtocolSession& session, std::string_view in,
                                    ProtocolSession::Result* result = nullptr) {
    std::string out, buffer;
    ProtocolSession::Result r = ProtocolSession::Result::kContinue;
    for (char c : in) {
      buffer.push_back(c);
      size_t used = 0;
      r = ProtocolSession::Result::kContinue;
      std::string chunk = Feed(session, buffer, &r, &used);
      out += chunk;
      buffer.erase(0, used);
      if (r == ProtocolSession::Result::kClose) break;
    }
    if (result != nullptr) *result = r;
    return out;
  }
};

}  // namespace tt::testing
