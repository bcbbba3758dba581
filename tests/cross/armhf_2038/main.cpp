// The Boost.Test runner of the armhf 2038 test (tests/cross/armhf_2038.sh):
// Boost.Test's header-only variant, so that nothing but the cross compiler's
// own libraries is linked (no libboost_unit_test_framework:armhf needed).
// The test cases are the native suite's own files (CMakeLists.txt here).

#define BOOST_TEST_MODULE armhf_2038
#include <boost/test/included/unit_test.hpp>

#include <ctime>

// The point of this program is the ABI of Debian 12 armhf, which the package
// build uses: a 32-bit time_t, under which timegm and gmtime_r end on
// 2038-01-19. Built with -D_TIME_BITS=64 it could no longer catch the bug.
static_assert(sizeof(std::time_t) == 4, "build the armhf 2038 test with Debian 12 armhf's 32-bit time_t");
static_assert(sizeof(void*) == 4, "the armhf 2038 test is a 32-bit ARM program");
