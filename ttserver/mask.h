// Command masks (-mask / -unmask, binary-protocol.md §4).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/commands.h"

namespace tt {

// Bit numbers of the original's mask names: bit i < kCommandCount is the own
// bit of kCommands[i] (named after it); the group bits follow.
enum MaskBit : int {
  kMaskSlave = kCommandCount,
  kMaskAllOrg,
  kMaskAllMc,
  kMaskAllHttp,
  kMaskAllRead,
  kMaskAllWrite,
  kMaskAllManage,
  kMaskAllResp,  // ours, after the original's bits: every RESP (Redis) command
};

class CommandMask {
 public:
  // Applies one -mask (set = true) or -unmask expression: names split on
  // spaces and commas, case-insensitive, unknown names ignored, "0x..." a hex
  // bit mask, "all" every bit.
  void Apply(std::string_view expr, bool set);
  // True when binary command `command` is refused (any of its bits is set).
  bool Forbids(uint8_t command) const;
  // True when the memcached (`protocol` = kMaskAllMc), HTTP (kMaskAllHttp)
  // or RESP (kMaskAllResp) operation that does binary command `command`'s
  // job is refused: by the command's own bit, the protocol's group bit, or
  // allread/allwrite/allmanage (allorg covers the binary protocol only), as
  // the original checks them (allresp is ours).
  bool ForbidsVia(uint8_t command, MaskBit protocol) const;
  // Every set bit, as the startup log line prints it.
  uint64_t bits() const { return bits_; }

 private:
  uint64_t bits_ = 0;
};

}  // namespace tt
