#include "common/commands.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tt {
namespace {

// The original's commands in its `stat` counter order (cnt_put ... cnt_repl),
// written out independently of kCommands.
const std::vector<std::pair<int, std::string>> kOriginalOrder = {
    {0x10, "put"},      {0x11, "putkeep"},  {0x12, "putcat"},  {0x13, "putshl"},
    {0x18, "putnr"},    {0x20, "out"},      {0x30, "get"},     {0x31, "mget"},
    {0x38, "vsiz"},     {0x50, "iterinit"}, {0x51, "iternext"}, {0x58, "fwmkeys"},
    {0x60, "addint"},   {0x61, "adddouble"}, {0x68, "ext"},    {0x70, "sync"},
    {0x71, "optimize"}, {0x72, "vanish"},   {0x73, "copy"},    {0x74, "restore"},
    {0x78, "setmst"},   {0x80, "rnum"},     {0x81, "size"},    {0x88, "stat"},
    {0x90, "misc"},     {0xA0, "repl"}};

TEST(CommandsTest, TableIsInStatCounterOrder) {
  ASSERT_EQ(static_cast<size_t>(kCommandCount), kOriginalOrder.size());
  for (int i = 0; i < kCommandCount; ++i) {
    EXPECT_EQ(kCommands[i].id, kOriginalOrder[i].first) << i;
    EXPECT_EQ(kCommands[i].name, kOriginalOrder[i].second) << i;
  }
}

TEST(CommandsTest, IdsAndNamesAreUnique) {
  std::set<int> ids;
  std::set<std::string_view> names;
  for (const CommandInfo& command : kCommands) {
    EXPECT_TRUE(ids.insert(command.id).second) << int{command.id};
    EXPECT_TRUE(names.insert(command.name).second) << command.name;
  }
}

TEST(CommandsTest, IndexFindsEveryCommandAndNothingElse) {
  for (int i = 0; i < kCommandCount; ++i) EXPECT_EQ(CommandIndex(kCommands[i].id), i);
  EXPECT_EQ(CommandIndex(0x00), -1);
  EXPECT_EQ(CommandIndex(0x14), -1);
  EXPECT_EQ(CommandIndex(0xFF), -1);
  static_assert(CommandIndex(kCmdRepl) == 25);
}

TEST(CommandsTest, NameOfEveryIdMatchesTheOriginal) {
  std::map<int, std::string> expected(kOriginalOrder.begin(), kOriginalOrder.end());
  for (int id = 0; id < 256; ++id) {
    auto it = expected.find(id);
    EXPECT_EQ(CommandName(static_cast<uint8_t>(id)),
              it == expected.end() ? "(unknown)" : it->second)
        << id;
  }
  EXPECT_EQ(CommandName(0x10), "put");
  EXPECT_EQ(CommandName(0x90), "misc");
  EXPECT_EQ(CommandName(0xA0), "repl");
  EXPECT_EQ(CommandName(0xC8), "(unknown)");
}

TEST(CommandsTest, GroupsFollowTheMaskTable) {
  // binary-protocol.md §2, last column: the exceptions to "reads and writes".
  EXPECT_EQ(kCommands[CommandIndex(kCmdExt)].group, CommandGroup::kOrgOnly);
  EXPECT_EQ(kCommands[CommandIndex(kCmdRepl)].group, CommandGroup::kUngrouped);
  EXPECT_EQ(kCommands[CommandIndex(kCmdVanish)].group, CommandGroup::kWrite);
  EXPECT_EQ(kCommands[CommandIndex(kCmdMisc)].group, CommandGroup::kWrite);
  EXPECT_EQ(kCommands[CommandIndex(kCmdSetMst)].group, CommandGroup::kManage);
  EXPECT_EQ(kCommands[CommandIndex(kCmdStat)].group, CommandGroup::kRead);
}

}  // namespace
}  // namespace tt
