#include "ttserver/mask.h"

#include <cctype>
#include <cstdlib>
#include <iterator>
#include <string>

namespace tt {

namespace {

// The names of the group bits, from kMaskSlave on.
constexpr std::string_view kGroupNames[] = {"slave",   "allorg",   "allmc",     "allhttp",
                                            "allread", "allwrite", "allmanage", "allresp"};
static_assert(kMaskSlave + static_cast<int>(std::size(kGroupNames)) == kMaskAllResp + 1);
static_assert(kMaskAllManage == 32, "the original's bit numbers (binary-protocol.md §4)");

uint64_t Bit(int bit) { return uint64_t{1} << bit; }

// The bits named `name` (lower case); 0 for a name the original ignores.
uint64_t NamedBits(std::string_view name) {
  for (int i = 0; i < kCommandCount; ++i) {
    if (kCommands[i].name == name) return Bit(i);
  }
  for (size_t i = 0; i < std::size(kGroupNames); ++i) {
    if (kGroupNames[i] == name) return Bit(kMaskSlave + static_cast<int>(i));
  }
  return 0;
}

uint64_t GroupBits(CommandGroup group) {
  switch (group) {
    case CommandGroup::kRead: return Bit(kMaskAllOrg) | Bit(kMaskAllRead);
    case CommandGroup::kWrite: return Bit(kMaskAllOrg) | Bit(kMaskAllWrite);
    case CommandGroup::kManage: return Bit(kMaskAllOrg) | Bit(kMaskAllManage);
    case CommandGroup::kOrgOnly: return Bit(kMaskAllOrg);
    case CommandGroup::kUngrouped: return 0;
  }
  return 0;
}

// The bits that refuse a binary command (binary-protocol.md §2, last column).
uint64_t RefusingBits(uint8_t command) {
  const int index = CommandIndex(command);
  return index < 0 ? 0 : Bit(index) | GroupBits(kCommands[index].group);
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
      bits = NamedBits(token);
    }
    bits_ = set ? (bits_ | bits) : (bits_ & ~bits);
  }
}

bool CommandMask::Forbids(uint8_t command) const { return (bits_ & RefusingBits(command)) != 0; }

bool CommandMask::ForbidsVia(uint8_t command, MaskBit protocol) const {
  const uint64_t refusing = (RefusingBits(command) & ~Bit(kMaskAllOrg)) | Bit(protocol);
  return (bits_ & refusing) != 0;
}

}  // namespace tt
