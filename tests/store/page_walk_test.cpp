// store::visit_pages and store::all_pages over a paged list: where the walk starts, and that a visitor that
// has seen enough stops the reading of further pages.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "store/page_cursor.h"

namespace ferry::store {
namespace {

// Items 0..count-1, `limit` per page; the cursor is the next item's number. Counts the pages read.
struct NumberedList {
  explicit NumberedList(int count) : count(count) {}
  int count;
  int pages_read = 0;
  std::vector<std::optional<std::string>> cursors_seen;

  Page<int> operator()(const PageRequest& page) {
    ++pages_read;
    cursors_seen.push_back(page.after);
    Page<int> out;
    const int first = page.after ? std::stoi(*page.after) : 0;
    for (int i = first; i < count && i < first + page.limit; ++i) out.items.push_back(i);
    if (first + page.limit < count) out.next = std::to_string(first + page.limit);
    return out;
  }
};

TEST(PageWalkTest, AllPagesReadsEveryPageInOrder) {
  NumberedList list(7);
  EXPECT_EQ(all_pages([&](const PageRequest& p) { return list(p); }, 3),
            (std::vector<int>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(list.pages_read, 3);
  NumberedList empty(0);
  EXPECT_TRUE(all_pages([&](const PageRequest& p) { return empty(p); }).empty());
}

TEST(PageWalkTest, VisitStopsReadingOnceTheVisitorHasEnough) {
  NumberedList list(100);
  std::vector<int> seen;
  visit_pages([&](const PageRequest& p) { return list(p); },
              [&](int&& item) {
                seen.push_back(item);
                return seen.size() < 4;
              },
              PageRequest{3, std::nullopt});
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(list.pages_read, 2);
}

TEST(PageWalkTest, VisitStartsAtTheGivenCursor) {
  NumberedList list(6);
  std::vector<int> seen;
  visit_pages([&](const PageRequest& p) { return list(p); },
              [&](int&& item) {
                seen.push_back(item);
                return true;
              },
              PageRequest{2, "3"});
  EXPECT_EQ(seen, (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(list.cursors_seen.front(), "3");
}

}  // namespace
}  // namespace ferry::store
