#include "ttserver/mask.h"

#include <array>
#include <cctype>
#include <string>

#include "common/commands.h"

namespace tt {

namespace {

constexpr std::array<std::string_view, 33> kMaskNames = {
    "put",     "putkeep",  "putcat", "putshl",   "putnr",  "out",      "get",
    "mget",    "vsiz",     "iterinit", "iternext", "fwmkeys", "addint", "adddouble",
    "ext",     "sync",     "optimize", "vanish", "copy",     "restore", "setmst",
    "rnum",    "size",     "stat",   "misc",     "repl",   "slave",    "allorg",
    "allmc",   "allhttp",  "allread", "allwrite", "allmanage"};

uint64_t Bit(int bit) { return uint64_t{1} << bit; }

// The bits that refuse a binary command (binary-protocol.md §2, last column).
uint64_t RefusingBits(uint8_t command) {
  const uint64_t org = Bit(kMaskAllOrg);
  const uint64_t read = org | Bit(kMaskAllRead);
  const uint64_t write = org | Bit(kMaskAllWrite);
  const uint64_t manage = org | Bit(kMaskAllManage);
  switch (command) {
    case kCmdPut: return Bit(kMaskPut) | write;
    case kCmdPutKeep: return Bit(kMaskPutKeep) | write;
    case kCmdPutCat: return Bit(kMaskPutCat) | write;
    case kCmdPutShl: return Bit(kMaskPutShl) | write;
    case kCmdPutNr: return Bit(kMaskPutNr) | write;
    case kCmdOut: return Bit(kMaskOut) | write;
    case kCmdGet: return Bit(kMaskGet) | read;
    case kCmdMget: return Bit(kMaskMget) | read;
    case kCmdVsiz: return Bit(kMaskVsiz) | read;
    case kCmdIterInit: return Bit(kMaskIterInit) | read;
    case kCmdIterNext: return Bit(kMaskIterNext) | read;
    case kCmdFwmKeys: return Bit(kMaskFwmKeys) | read;
    case kCmdAddInt: return Bit(kMaskAddInt) | write;
    case kCmdAddDouble: return Bit(kMaskAddDouble) | write;
    case kCmdExt: return Bit(kMaskExt) | org;
    case kCmdSync: return Bit(kMaskSync) | manage;
    case kCmdOptimize: return Bit(kMaskOptimize) | manage;
    case kCmdVanish: return Bit(kMaskVanish) | write;
    case kCmdCopy: return Bit(kMaskCopy) | manage;
    case kCmdRestore: return Bit(kMaskRestore) | manage;
    case kCmdSetMst: return Bit(kMaskSetMst) | manage;
    case kCmdRnum: return Bit(kMaskRnum) | read;
    case kCmdSize: return Bit(kMaskSize) | read;
    case kCmdStat: return Bit(kMaskStat) | read;
    case kCmdMisc: return Bit(kMaskMisc) | write;
    case kCmdRepl: return Bit(kMaskRepl);  // allorg does not block repl
    default: return 0;
  }
}

}  // namespace

void CommandMask::Apply(std::string_view expr, bool set) {
  size_t pos = 0;
  while (pos < expr.size()) {
    size_t end = expr.find_first_of(" ,", pos);
    if (end == std::string_view::npos) end = expr.size();
    std::string token(expr.substr(pos, end - pos));
    pos = end + 1;
    if (token.empty()) continue;
    for (char& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    uint64_t bits = 0;
    if (token.rfind("0x", 0) == 0) {
      bits = std::strtoull(token.c_str() + 2, nullptr, 16);
    } else if (token == "all") {
      bits = ~uint64_t{0};
    } else {
      for (size_t i = 0; i < kMaskNames.size(); ++i) {
        if (kMaskNames[i] == token) bits = Bit(static_cast<int>(i));
      }
    }
    bits_ = set ? (bits_ | bits) : (bits_ & ~bits);
  }
}

bool CommandMask::Forbids(uint8_t command) const { return (bits_ & RefusingBits(command)) != 0; }

}  // namespace tt
