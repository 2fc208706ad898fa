// The Tokyo Tyrant binary protocol's command ids and their names, shared by
// the server, the update log (record bodies are binary requests) and clients.
#pragma once

#include <cstdint>
#include <string_view>

namespace tt {

constexpr uint8_t kMagicRequest = 0xC8;  // first byte of every binary request
constexpr uint8_t kMagicRecord = 0xC9;   // first byte of every update-log record
constexpr uint8_t kMagicNop = 0xCA;      // replication heartbeat

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
};

// The original's lower-case name of a command id ("put", "misc"), or
// "(unknown)" for an id the original does not define. As `ttulmgr export` prints.
std::string_view CommandName(uint8_t id);

// The 26 commands in the original's `stat` counter order (cnt_put ... cnt_repl).
inline constexpr uint8_t kCountedCommands[] = {
    kCmdPut,    kCmdPutKeep,  kCmdPutCat,    kCmdPutShl, kCmdPutNr,    kCmdOut,    kCmdGet,
    kCmdMget,   kCmdVsiz,     kCmdIterInit,  kCmdIterNext, kCmdFwmKeys, kCmdAddInt, kCmdAddDouble,
    kCmdExt,    kCmdSync,     kCmdOptimize,  kCmdVanish, kCmdCopy,     kCmdRestore, kCmdSetMst,
    kCmdRnum,   kCmdSize,     kCmdStat,      kCmdMisc,   kCmdRepl};

}  // namespace tt
