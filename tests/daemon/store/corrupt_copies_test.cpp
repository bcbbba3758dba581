// The names of a corrupt store's copies (daemon/store/corrupt_copies.*):
// PATH.corrupt-YYYYMMDDTHHMMSSZ, written and read back without time_t, so
// past 2038 on armhf too (docs/cross-build.md "The year 2038").

#include <boost/test/unit_test.hpp>

#include "store/corrupt_copies.hpp"

using ravao::corrupt_copy_path;
using ravao::corrupt_copy_time;

BOOST_AUTO_TEST_CASE(a_copy_moved_aside_in_2040_is_named_and_dated) {
  const std::int64_t at_s = 2'214'131'696;  // 2040-02-29T12:34:56Z
  const auto copy = corrupt_copy_path("/var/lib/ravao/store.db", at_s * 1000 + 999);
  BOOST_TEST(copy.string() == "/var/lib/ravao/store.db.corrupt-20400229T123456Z");
  BOOST_TEST(corrupt_copy_time("store.db", copy.filename().string()).value_or(-1) == at_s);
  BOOST_TEST(corrupt_copy_time("store.db", copy.filename().string() + "-wal").value_or(-1) == at_s);
}

BOOST_AUTO_TEST_CASE(a_stamp_that_is_not_a_date_is_not_a_copy) {
  BOOST_TEST(!corrupt_copy_time("store.db", "store.db.corrupt-20410229T000000Z"));
  BOOST_TEST(!corrupt_copy_time("store.db", "store.db.corrupt-20400229T240000Z"));
  BOOST_TEST(!corrupt_copy_time("other.db", "store.db.corrupt-20400229T123456Z"));
}
