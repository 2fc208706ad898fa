// Request builders of the Tokyo Tyrant binary protocol (spec/binary-protocol.md
// §2): each returns the complete request bytes, starting with 0xC8 and the
// command id, for one command. Pure functions with no I/O, so the exact wire
// bytes can be tested without a server. Lengths are written as u32; callers
// keep every string at or below kProtocolMaxSize (RemoteDB checks this).
//
//   request   := 0xC8 cmd:u8 fixed-size fields... variable-size bytes...
//   put-like  := ksiz:u32 vsiz:u32 key value            (put putkeep putcat putnr)
//   putshl    := ksiz:u32 vsiz:u32 width:i32 key value
//   mget      := count:u32 {ksiz:u32 key}*count
//   misc      := nsiz:u32 opts:u32 argc:u32 name {asiz:u32 arg}*argc
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/commands.h"

namespace tt::requests {

// put / putkeep / putcat / putnr: `cmd` is one of kCmdPut, kCmdPutKeep,
// kCmdPutCat, kCmdPutNr.
std::string KeyValue(Command cmd, std::string_view key, std::string_view value);
// putshl: keep the last `width` bytes of old value ‖ `value`.
std::string PutShl(std::string_view key, std::string_view value, int32_t width);
// out / get / vsiz: `cmd` is kCmdOut, kCmdGet or kCmdVsiz.
std::string Key(Command cmd, std::string_view key);
// mget of `keys`, in order.
std::string MGet(const std::vector<std::string>& keys);
// Commands with no arguments: iterinit, iternext, sync, vanish, rnum, size, stat.
std::string Bare(Command cmd);
// fwmkeys: at most `max` keys starting with `prefix` (negative = unlimited).
std::string FwmKeys(std::string_view prefix, int32_t max);
// addint: add `num` to the 4-byte integer record `key`.
std::string AddInt(std::string_view key, int32_t num);
// adddouble: add `num` (sent in the protocol's two-int64 encoding) to `key`.
std::string AddDouble(std::string_view key, double num);
// ext: call the script function `name` with `opts` (1 = record lock, 2 = global lock).
std::string Ext(std::string_view name, uint32_t opts, std::string_view key, std::string_view value);
// optimize / copy: `cmd` is kCmdOptimize (tuning params) or kCmdCopy (destination path).
std::string PathLike(Command cmd, std::string_view text);
// restore: replay the update-log directory `path` from timestamp `ts` (µs).
std::string Restore(std::string_view path, uint64_t ts, uint32_t opts);
// setmst: replicate from host:port starting after `ts` (0 = keep the .rts position).
std::string SetMst(std::string_view host, int32_t port, uint64_t ts, uint32_t opts);
// misc: call function `name` with `args`; opts bit 0 = do not write the update log.
std::string Misc(std::string_view name, const std::vector<std::string>& args, uint32_t opts);
// repl handshake: stream records with timestamp >= ts to the slave `sid`.
std::string Repl(uint64_t ts, uint32_t sid);
// Our extended repl (repl/feeder.h), for masters whose stat shows repl_ext.
std::string ReplExtended(uint64_t ts, uint32_t sid, uint32_t flags);

}  // namespace tt::requests
