// Redis's replication commands (resp_call.h): ROLE, REPLICAOF / SLAVEOF and
// WAIT, over this server's own replication (repl/). Positions are update-log
// timestamps (µs), not Redis's byte offsets.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/commands.h"
#include "repl/feeder.h"
#include "ttserver/replication_control.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"
#include "ttserver/stat_report.h"

namespace tt::resp {

namespace {

// A timeout of WAIT beyond this many milliseconds (about 30 years) waits
// forever, as 0 does: the deadline would overflow the clock.
constexpr int64_t kForeverMs = int64_t{1} << 40;

// Redis's word for a slave's link state; "halted" (stopped at an
// inconsistent record, -rcc) is ours.
std::string_view LinkState(ReplicaStatus::State state) {
  switch (state) {
    case ReplicaStatus::State::kConnecting:
      return "connecting";
    case ReplicaStatus::State::kBootstrapping:
      return "sync";
    case ReplicaStatus::State::kStreaming:
      return "connected";
    case ReplicaStatus::State::kHalted:
      return "halted";
    case ReplicaStatus::State::kIdle:
    case ReplicaStatus::State::kRetrying:
      break;
  }
  return "connect";
}

}  // namespace

std::vector<StreamingSlave> StreamingSlaves(ServerContext& context) {
  std::vector<StreamingSlave> slaves;
  if (context.feeder == nullptr) return slaves;
  for (const SlaveReport& report : context.feeder->Slaves(kSlaveReportForgetS)) {
    if (!report.connected) continue;
    const size_t colon = report.address.rfind(':');
    slaves.push_back(StreamingSlave{
        .ip = report.address.substr(0, colon),
        .port = colon == std::string::npos ? "" : report.address.substr(colon + 1),
        .offset = report.acknowledges ? report.acked_ts : report.sent_ts,
        .lag_s = report.lag_s,
    });
  }
  return slaves;
}

// ROLE: on a slave, "slave", the master's host and port, the link's state
// and the position applied; on a master, "master", the newest timestamp and,
// for each slave streaming now, its address (the port is its connection's)
// and the position it acknowledged (or was sent, for an original ttserver
// slave, which does not acknowledge).
Outcome Role(Call& call) {
  call.stats().CountCommand(kCmdStat);
  const MasterSettings::Snapshot master = call.context.master->Get();
  std::string* out = call.out;
  if (!master.host.empty()) {
    AppendArrayHeader(out, 5);
    AppendBulk(out, "slave");
    AppendBulk(out, master.host);
    AppendInteger(out, master.port);
    AppendBulk(out, LinkState(call.context.replica->state.load()));
    AppendInteger(out, static_cast<int64_t>(call.context.replica->rts.load()));
    return {};
  }
  const std::vector<StreamingSlave> slaves = StreamingSlaves(call.context);
  AppendArrayHeader(out, 3);
  AppendBulk(out, "master");
  AppendInteger(out, static_cast<int64_t>(call.engine().LastTimestamp()));
  AppendArrayHeader(out, slaves.size());
  for (const StreamingSlave& slave : slaves) {
    AppendArrayHeader(out, 3);
    AppendBulk(out, slave.ip);
    AppendBulk(out, slave.port);
    AppendBulk(out, std::to_string(slave.offset));
  }
  return {};
}

// REPLICAOF host port | REPLICAOF NO ONE (and SLAVEOF): the binary
// protocol's setmst host port (from the saved position, keeping -rcc's
// check), or setmst with no host. The data already replicated stays.
Outcome ReplicaOf(Call& call) {
  call.stats().CountCommand(kCmdSetMst);
  const MasterSettings::Snapshot current = call.context.master->Get();
  if (EqualsIgnoreCase(call.args[1], "no") && EqualsIgnoreCase(call.args[2], "one")) {
    if (!current.host.empty()) SetReplicationMaster(call.context, "", 0, 0, current.opts);
    AppendSimple(call.out, "OK");
    return {};
  }
  int64_t port = 0;
  if (!ParseInteger(call.args[2], &port) || port < 0 || port > 65535) {
    call.Error("ERR Invalid master port");  // Redis's words for a port not of 0 to 65535
    return {};
  }
  if (call.args[1].empty() || call.args[1].size() > 255) {
    call.Error("ERR invalid master host: give a host name or address of 1 to 255 bytes");
    return {};
  }
  if (current.host == call.args[1] && current.port == port) {
    // As Redis: the stream goes on undisturbed.
    AppendSimple(call.out, "OK Already connected to specified master");
    return {};
  }
  SetReplicationMaster(call.context, call.args[1], static_cast<int>(port), 0, current.opts);
  AppendSimple(call.out, "OK");
  return {};
}

// WAIT numreplicas timeout: how many slaves have acknowledged this
// connection's last write (all streaming slaves before any write), waiting
// up to `timeout` ms (0 = forever) for `numreplicas` of them off the event
// loop. At once inside EXEC (as Redis), with enough slaves already, or
// without an update log (no slave can follow this server).
Outcome Wait(Call& call) {
  int64_t wanted = 0;
  int64_t timeout_ms = 0;
  if (!ParseInteger(call.args[1], &wanted)) {
    call.Error(kNotInteger);
    return {};
  }
  if (!ParseInteger(call.args[2], &timeout_ms)) {
    call.Error("ERR timeout is not an integer or out of range");
    return {};
  }
  if (timeout_ms < 0) {
    call.Error("ERR timeout is negative");
    return {};
  }
  Feeder* feeder = call.context.feeder;
  const uint64_t ts = call.client.last_write_ts;
  const size_t acknowledged = feeder != nullptr ? feeder->CountAcknowledged(ts) : 0;
  if (feeder == nullptr || call.locked != nullptr || wanted <= 0 ||
      acknowledged >= static_cast<uint64_t>(wanted)) {
    AppendInteger(call.out, static_cast<int64_t>(acknowledged));
    return {};
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout_ms > 0 && timeout_ms < kForeverMs) {
    deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = [feeder, ts, wanted = static_cast<size_t>(wanted), deadline] {
    std::string reply;
    AppendInteger(&reply, static_cast<int64_t>(feeder->WaitAcknowledged(ts, wanted, deadline)));
    return reply;
  };
  return outcome;
}

}  // namespace tt::resp
