// The `ttulmgr export` / `tcrmgr repl -ph` line of one record.
#include "ulog/export_line.h"

#include <gtest/gtest.h>

#include "common/hex.h"

namespace tt {
namespace {

TEST(ExportLineTest, MatchesTheOriginalsLineForTheCapturedPut) {
  UlogRecord rec{1795252109520066, 7, 0,
                 *HexDecode("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00")};
  EXPECT_EQ(FormatExportLine(rec),
            "1795252109520066\t7:0\tput\tC8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00\n");
}

TEST(ExportLineTest, ShowsTheMasterId) {
  UlogRecord rec{12, 65535, 3, *HexDecode("C8 72 00")};
  EXPECT_EQ(FormatExportLine(rec), "12\t65535:3\tvanish\tC8 72 00\n");
}

TEST(ExportLineTest, BodyShorterThanTwoBytesIsABrokenEntry) {
  EXPECT_EQ(FormatExportLine(UlogRecord{5, 2, 1, *HexDecode("C8")}), "5\t2:1\t[broken entry]\n");
  EXPECT_EQ(FormatExportLine(UlogRecord{5, 2, 1, ""}), "5\t2:1\t[broken entry]\n");
}

}  // namespace
}  // namespace tt
