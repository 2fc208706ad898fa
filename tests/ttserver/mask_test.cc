#include "ttserver/mask.h"

#include <gtest/gtest.h>

#include "common/commands.h"

namespace tt {
namespace {

TEST(CommandMaskTest, GroupsRefuseTheirCommands) {
  CommandMask mask;
  mask.Apply("allwrite", true);
  EXPECT_TRUE(mask.Forbids(kCmdPut));
  EXPECT_TRUE(mask.Forbids(kCmdVanish));
  EXPECT_TRUE(mask.Forbids(kCmdMisc));
  EXPECT_FALSE(mask.Forbids(kCmdGet));
  EXPECT_FALSE(mask.Forbids(kCmdExt));
}

TEST(CommandMaskTest, UnmaskOfOneBitDoesNotLiftItsGroup) {
  CommandMask mask;
  mask.Apply("allwrite", true);
  mask.Apply("put", false);
  EXPECT_TRUE(mask.Forbids(kCmdPut));
}

TEST(CommandMaskTest, NamesAreCaseInsensitiveAndSplitOnSpacesAndCommas) {
  CommandMask mask;
  mask.Apply("GET, vsiz  Rnum,unknownname", true);
  EXPECT_TRUE(mask.Forbids(kCmdGet));
  EXPECT_TRUE(mask.Forbids(kCmdVsiz));
  EXPECT_TRUE(mask.Forbids(kCmdRnum));
  EXPECT_FALSE(mask.Forbids(kCmdPut));
}

TEST(CommandMaskTest, ObservedBitValue) {
  CommandMask mask;
  mask.Apply("allorg,allmc,allhttp,allread,allwrite,allmanage,slave,repl,misc", true);
  EXPECT_EQ(mask.bits(), 0x1ff000000ull);
}

TEST(CommandMaskTest, AllorgDoesNotBlockRepl) {
  CommandMask mask;
  mask.Apply("allorg", true);
  EXPECT_FALSE(mask.Forbids(kCmdRepl));
  mask.Apply("0x2000000", true);
  EXPECT_TRUE(mask.Forbids(kCmdRepl));
  mask.Apply("all", false);
  EXPECT_EQ(mask.bits(), 0u);
}

TEST(CommandMaskTest, ProtocolGroupsAndReadWriteGroupsRefuseOtherProtocols) {
  CommandMask mask;
  mask.Apply("allmc", true);
  EXPECT_TRUE(mask.ForbidsVia(kCmdGet, kMaskAllMc));
  EXPECT_FALSE(mask.ForbidsVia(kCmdGet, kMaskAllHttp));
  EXPECT_FALSE(mask.Forbids(kCmdGet));
  mask = CommandMask();
  mask.Apply("allorg", true);
  EXPECT_FALSE(mask.ForbidsVia(kCmdPut, kMaskAllHttp));  // allorg is the binary protocol only
  mask.Apply("allwrite", true);
  EXPECT_TRUE(mask.ForbidsVia(kCmdPut, kMaskAllHttp));
  EXPECT_FALSE(mask.ForbidsVia(kCmdGet, kMaskAllHttp));
  mask = CommandMask();
  mask.Apply("out", true);
  EXPECT_TRUE(mask.ForbidsVia(kCmdOut, kMaskAllMc));
  EXPECT_FALSE(mask.ForbidsVia(kCmdPut, kMaskAllMc));
}

}  // namespace
}  // namespace tt
