// Command masks (-mask / -unmask, binary-protocol.md §4).
#pragma once

#include <cstdint>
#include <string_view>

namespace tt {

// Bit numbers of the original's mask names.
enum MaskBit : int {
  kMaskPut = 0, kMaskPutKeep, kMaskPutCat, kMaskPutShl, kMaskPutNr, kMaskOut, kMaskGet,
  kMaskMget, kMaskVsiz, kMaskIterInit, kMaskIterNext, kMaskFwmKeys, kMaskAddInt,
  kMaskAddDouble, kMaskExt, kMaskSync, kMaskOptimize, kMaskVanish, kMaskCopy, kMaskRestore,
  kMaskSetMst, kMaskRnum, kMaskSize, kMaskStat, kMaskMisc, kMaskRepl, kMaskSlave,
  kMaskAllOrg, kMaskAllMc, kMaskAllHttp, kMaskAllRead, kMaskAllWrite, kMaskAllManage,
};

class CommandMask {
 public:
  // Applies one -mask (set = true) or -unmask expression: names split on
  // spaces and commas, case-insensitive, unknown names ignored, "0x..." a hex
  // bit mask, "all" every bit.
  void Apply(std::string_view expr, bool set);
  // True when binary command `command` is refused (any of its bits is set).
  bool Forbids(uint8_t command) const;
  bool Has(MaskBit bit) const { return (bits_ >> bit) & 1; }
  uint64_t bits() const { return bits_; }

 private:
  uint64_t bits_ = 0;
};

}  // namespace tt
