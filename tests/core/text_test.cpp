#include "core/text.h"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

using Parts = std::vector<std::string>;

TEST(TextTest, SplitKeepsTheNonEmptyPiecesUntrimmed) {
  EXPECT_EQ(split_nonempty("a,b,,c", ','), (Parts{"a", "b", "c"}));
  EXPECT_EQ(split_nonempty(",, a ,", ','), (Parts{" a "}));
  EXPECT_TRUE(split_nonempty("", ',').empty());
}

TEST(TextTest, JoinPutsTheSeparatorBetweenPartsOnly) {
  EXPECT_EQ(join(Parts{"\"id\"", "\"org\""}, ", "), "\"id\", \"org\"");
  EXPECT_EQ(join(Parts{"only"}, " AND "), "only");
  EXPECT_EQ(join(Parts{}, ", "), "");
  EXPECT_EQ(join(Parts{"", ""}, "-"), "-");
}

}  // namespace
}  // namespace ferry::core
