// The Tokyo Tyrant binary protocol's command ids and their names, shared by
// the server, the update log (record bodies are binary requests) and clients.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

namespace tt {

constexpr uint8_t kMagicRequest = 0xC8;  // first byte of every binary request
constexpr uint8_t kMagicRecord = 0xC9;   // first byte of every update-log record
constexpr uint8_t kMagicNop = 0xCA;      // replication heartbeat
// Items of our extended replication stream (repl/feeder.h), never sent to a
// slave that asked with the original's repl command.
constexpr uint8_t kMagicSnapshotBegin = 0xCB;  // + start ts u64, replace u8
constexpr uint8_t kMagicSnapshotRecord = 0xCC; // + a wire record without its 0xC9
constexpr uint8_t kMagicSnapshotEnd = 0xCD;
constexpr uint8_t kMagicAck = 0xCE;            // slave to master: + applied ts u64
// Answers a request with kReplExtNoGap whose ts the log no longer reaches:
// + the oldest record's ts u64; the master closes after it.
constexpr uint8_t kMagicLogGap = 0xCF;

// The sum with which the original's storage library reports a failed addint.
// Tokyo Tyrant therefore answers an addint whose sum is exactly this value
// with failure (01), although it stored the sum; the binary protocol does
// the same, and a replayed addint with this sum counts as failed.
constexpr int32_t kAddIntErrorSum = INT32_MIN;

enum Command : uint8_t {
  kCmdPut = 0x10,
  kCmdPutKeep = 0x11,
  kCmdPutCat = 0x12,
  kCmdPutShl = 0x13,
  kCmdPutNr = 0x18,
  kCmdOut = 0x20,
  kCmdGet = 0x30,
  kCmdMget = 0x31,
  kCmdVsiz = 0x38,
  kCmdIterInit = 0x50,
  kCmdIterNext = 0x51,
  kCmdFwmKeys = 0x58,
  kCmdAddInt = 0x60,
  kCmdAddDouble = 0x61,
  kCmdExt = 0x68,
  kCmdSync = 0x70,
  kCmdOptimize = 0x71,
  kCmdVanish = 0x72,
  kCmdCopy = 0x73,
  kCmdRestore = 0x74,
  kCmdSetMst = 0x78,
  kCmdRnum = 0x80,
  kCmdSize = 0x81,
  kCmdStat = 0x88,
  kCmdMisc = 0x90,
  kCmdRepl = 0xA0,
  // Ours, not in kCommands (the original never sees it): the extended repl
  // of our own slaves (repl/feeder.h), counted and masked as repl.
  kCmdReplExt = 0xA1,
};

// Which -mask group bits refuse a command besides its own bit
// (binary-protocol.md §2 last column, §4).
enum class CommandGroup : uint8_t {
  kRead,       // allorg, allread
  kWrite,      // allorg, allwrite
  kManage,     // allorg, allmanage
  kOrgOnly,    // allorg only (ext)
  kUngrouped,  // none: allorg does not block repl
};

// One binary command as the original defines it.
struct CommandInfo {
  uint8_t id;             // a Command
  std::string_view name;  // lower case, as in cnt_*, -mask and `ttulmgr export`
  CommandGroup group;
};

// The original's 26 commands in its `stat` counter order (cnt_put ...
// cnt_repl), which is also the -mask bit order: a command's own mask bit is
// its index here.
inline constexpr CommandInfo kCommands[] = {
    {kCmdPut, "put", CommandGroup::kWrite},
    {kCmdPutKeep, "putkeep", CommandGroup::kWrite},
    {kCmdPutCat, "putcat", CommandGroup::kWrite},
    {kCmdPutShl, "putshl", CommandGroup::kWrite},
    {kCmdPutNr, "putnr", CommandGroup::kWrite},
    {kCmdOut, "out", CommandGroup::kWrite},
    {kCmdGet, "get", CommandGroup::kRead},
    {kCmdMget, "mget", CommandGroup::kRead},
    {kCmdVsiz, "vsiz", CommandGroup::kRead},
    {kCmdIterInit, "iterinit", CommandGroup::kRead},
    {kCmdIterNext, "iternext", CommandGroup::kRead},
    {kCmdFwmKeys, "fwmkeys", CommandGroup::kRead},
    {kCmdAddInt, "addint", CommandGroup::kWrite},
    {kCmdAddDouble, "adddouble", CommandGroup::kWrite},
    {kCmdExt, "ext", CommandGroup::kOrgOnly},
    {kCmdSync, "sync", CommandGroup::kManage},
    {kCmdOptimize, "optimize", CommandGroup::kManage},
    {kCmdVanish, "vanish", CommandGroup::kWrite},
    {kCmdCopy, "copy", CommandGroup::kManage},
    {kCmdRestore, "restore", CommandGroup::kManage},
    {kCmdSetMst, "setmst", CommandGroup::kManage},
    {kCmdRnum, "rnum", CommandGroup::kRead},
    {kCmdSize, "size", CommandGroup::kRead},
    {kCmdStat, "stat", CommandGroup::kRead},
    {kCmdMisc, "misc", CommandGroup::kWrite},
    {kCmdRepl, "repl", CommandGroup::kUngrouped},
};
inline constexpr int kCommandCount = static_cast<int>(std::size(kCommands));

// The index of command `id` in kCommands, or -1 for an id the original does
// not define.
constexpr int CommandIndex(uint8_t id) {
  for (int i = 0; i < kCommandCount; ++i) {
    if (kCommands[i].id == id) return i;
  }
  return -1;
}

// The original's lower-case name of a command id ("put", "misc"), or
// "(unknown)" for an id the original does not define. As `ttulmgr export` prints.
std::string_view CommandName(uint8_t id);

}  // namespace tt
