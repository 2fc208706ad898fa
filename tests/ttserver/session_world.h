// A ServerContext over a real Engine and a Kyoto Cabinet store (in memory or
// not), with everything a protocol session needs beside it: what the
// sessions' unit tests (session_fixture.h) and fuzz targets (tests/fuzz/)
// run the sessions against. No GoogleTest here, so the fuzz targets can use it.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "engine/engine.h"
#include "partition/store.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/resp/resp_state.h"
#include "ttserver/server_context.h"
#include "ulog/ulog_writer.h"

namespace tt::testing {

class SessionWorld {
 public:
  // Opens database `name` ("*" = in-memory hash) and, if `ulog_dir` is not
  // empty, an update log there; fills context_. Call once.
  Status Open(const std::string& name, const std::string& ulog_dir = "") {
    Status s = OpenStore({.name = name}, &store_);
    if (!s.ok()) return s;
    if (!ulog_dir.empty()) {
      UlogWriterOptions options;
      options.dir = ulog_dir;
      options.clock = &clock_;
      s = UlogWriter::Open(options, &ulog_);
      if (!s.ok()) return s;
    }
    engine_ = std::make_unique<Engine>(
        Engine::Options{.store = store_.get(), .ulog = ulog_.get(), .clock = &clock_, .sid = 1});
    context_.engine = engine_.get();
    context_.stats = &stats_;
    context_.master = &master_;
    context_.replica = &replica_;
    context_.memcache = &memcache_;
    context_.resp = &resp_;
    context_.sid = 1;
    context_.worker_threads = 4;
    return Status::Ok();
  }

  TimestampClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<UlogWriter> ulog_;
  std::unique_ptr<Engine> engine_;
  Stats stats_;
  MasterSettings master_;
  ReplicaStatus replica_;
  mc::MemcacheState memcache_;
  resp::RespState resp_;
  ServerContext context_;
};

}  // namespace tt::testing
