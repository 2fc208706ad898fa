#include "partition/db_name.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

TEST(DbNameTest, SplitsPathTuningAndExtension) {
  DbName name = ParseDbName("data/casket.kch#bnum=1000#opts=l");
  EXPECT_EQ(name.path, "data/casket.kch");
  EXPECT_EQ(name.tuning, "#bnum=1000#opts=l");
  EXPECT_EQ(name.ext, ".kch");
  EXPECT_EQ(name.kind, DbKind::kHashFile);
}

TEST(DbNameTest, ExtensionComesFromTheFinalComponentOnly) {
  DbName name = ParseDbName("./data.d/casket#type=kct");
  EXPECT_EQ(name.ext, "");
  EXPECT_EQ(name.kind, DbKind::kTreeFile);
}

TEST(DbNameTest, ClassifiesEveryPolyDbKind) {
  EXPECT_EQ(ParseDbName("*").kind, DbKind::kCacheHash);
  EXPECT_EQ(ParseDbName("%#capsiz=1g").kind, DbKind::kGrassTree);
  EXPECT_EQ(ParseDbName("-").kind, DbKind::kProtoHash);
  EXPECT_EQ(ParseDbName("+").kind, DbKind::kProtoTree);
  EXPECT_EQ(ParseDbName(":").kind, DbKind::kStash);
  EXPECT_EQ(ParseDbName("x.kct").kind, DbKind::kTreeFile);
  EXPECT_EQ(ParseDbName("x.kcd").kind, DbKind::kDirHash);
  EXPECT_EQ(ParseDbName("x.kcf").kind, DbKind::kDirTree);
  EXPECT_EQ(ParseDbName("x.kcx").kind, DbKind::kText);
  EXPECT_EQ(ParseDbName("x.tch").kind, DbKind::kUnknown);
  EXPECT_EQ(ParseDbName("x.KCH").kind, DbKind::kUnknown);  // PolyDB is case-sensitive
  EXPECT_EQ(ParseDbName("").kind, DbKind::kUnknown);
}

TEST(DbNameTest, LastKnownTypeParameterOverridesThePath) {
  EXPECT_EQ(ParseDbName("x.kch#type=tree").kind, DbKind::kTreeFile);
  EXPECT_EQ(ParseDbName("x.kch#type=%#type=bogus").kind, DbKind::kGrassTree);
}

TEST(DbNameTest, DescribesKindsForStat) {
  EXPECT_STREQ(KindTypeName(DbKind::kCacheHash), "on-memory hash");
  EXPECT_STREQ(KindTypeName(DbKind::kStash), "on-memory hash");
  EXPECT_STREQ(KindTypeName(DbKind::kProtoTree), "on-memory tree");
  EXPECT_STREQ(KindTypeName(DbKind::kHashFile), "hash");
  EXPECT_STREQ(KindTypeName(DbKind::kTreeFile), "B+ tree");
  EXPECT_STREQ(KindTypeName(DbKind::kDirHash), "directory hash");
  EXPECT_STREQ(KindTypeName(DbKind::kDirTree), "directory tree");
  EXPECT_STREQ(KindTypeName(DbKind::kText), "plain text");
  EXPECT_TRUE(IsOrderedKind(DbKind::kGrassTree));
  EXPECT_FALSE(IsOrderedKind(DbKind::kHashFile));
  EXPECT_TRUE(IsInMemoryKind(DbKind::kProtoHash));
  EXPECT_FALSE(IsInMemoryKind(DbKind::kTreeFile));
}

}  // namespace
}  // namespace tt
