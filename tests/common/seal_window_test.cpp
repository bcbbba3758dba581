// Sealed formats (common/seal.hpp) and sealing in windows
// (common/seal_window.hpp): v2 round trips, v1 still opens, what is refused,
// when a window's key changes and when it is wiped.

#include <boost/test/unit_test.hpp>

#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/seal.hpp"
#include "common/seal_window.hpp"

namespace seal = ravao::seal;
using namespace std::chrono_literals;
using clock_type = seal::window_sealer::clock;

namespace {

const seal::key_pair& province() {
  static const seal::key_pair k = seal::generate();
  return k;
}

// The ephemeral public key a v2 record carries (the marker bit included).
std::string ephemeral_of(const std::string& sealed) { return sealed.substr(0, seal::key_bytes); }

const std::string plain = R"({"id_number":"001090012345","name":"Nguyễn Văn An"})";
const clock_type::time_point t0{std::chrono::hours(1000)};

}  // namespace

BOOST_AUTO_TEST_CASE(a_v2_record_opens_with_the_provincial_secret_key_alone) {
  seal::window_sealer sealer(province().pub);
  const std::string sealed = sealer.seal(plain, t0);
  BOOST_TEST(sealed.size() == plain.size() + seal::v2::overhead_bytes);
  BOOST_TEST(seal::v2::overhead_bytes == 73u);
  BOOST_TEST((seal::format_of(sealed) == seal::sealed_format::v2));
  const auto opened = seal::open(province(), sealed);
  BOOST_TEST_REQUIRE(opened.has_value(), (opened ? "" : opened.error().message()));
  BOOST_TEST(*opened == plain);
  BOOST_TEST(seal::open(province(), sealer.seal("", t0)).value_or("x") == "");  // an empty plaintext too
}

BOOST_AUTO_TEST_CASE(v1_records_still_open_and_are_never_taken_for_v2) {
  // The first 32 bytes of a v1 box are a canonical X25519 key: bit 7 of
  // byte 31 is never set, whatever the ephemeral key drawn.
  for (int i = 0; i < 2000; ++i) {
    const std::string sealed = seal::seal(province().pub, plain);
    BOOST_TEST_REQUIRE((seal::format_of(sealed) == seal::sealed_format::v1));
    if (i < 5) BOOST_TEST(seal::open(province(), sealed).value_or("") == plain);
  }
}

BOOST_AUTO_TEST_CASE(records_of_one_window_share_its_key_and_never_a_nonce) {
  seal::window_sealer sealer(province().pub);
  std::set<std::string> ephemerals, nonces;
  for (int i = 0; i < 100; ++i) {
    const std::string s = sealer.seal(plain, t0 + std::chrono::seconds(i));
    ephemerals.insert(ephemeral_of(s));
    nonces.insert(s.substr(seal::v2::nonce_offset, seal::v2::nonce_bytes));
    BOOST_TEST(seal::open(province(), s).value_or("") == plain);
  }
  BOOST_TEST(ephemerals.size() == 1u);
  BOOST_TEST(nonces.size() == 100u);
}

BOOST_AUTO_TEST_CASE(a_window_ends_by_time_with_a_new_ephemeral_key) {
  seal::window_sealer sealer(province().pub, {.window = 300s, .max_records = 1000});
  const std::string first = sealer.seal(plain, t0);
  const std::string same = sealer.seal(plain, t0 + 299s);
  const std::string next = sealer.seal(plain, t0 + 300s);
  BOOST_TEST(ephemeral_of(first) == ephemeral_of(same));
  BOOST_TEST(ephemeral_of(first) != ephemeral_of(next));
  BOOST_TEST(seal::open(province(), first).value_or("") == plain);
  BOOST_TEST(seal::open(province(), next).value_or("") == plain);
}

BOOST_AUTO_TEST_CASE(a_window_ends_after_its_last_record) {
  seal::window_sealer sealer(province().pub, {.window = 300s, .max_records = 3});
  std::vector<std::string> ephemerals;
  for (int i = 0; i < 7; ++i) ephemerals.push_back(ephemeral_of(sealer.seal(plain, t0)));
  BOOST_TEST(ephemerals[0] == ephemerals[2]);
  BOOST_TEST(ephemerals[2] != ephemerals[3]);
  BOOST_TEST(ephemerals[3] == ephemerals[5]);
  BOOST_TEST(ephemerals[5] != ephemerals[6]);
  // The third record of a window wipes its key at once: none is kept for nothing.
  seal::window_sealer fresh(province().pub, {.window = 300s, .max_records = 1});
  (void)fresh.seal(plain, t0);
  BOOST_TEST(!fresh.holds_key());
}

BOOST_AUTO_TEST_CASE(an_idle_window_is_wiped_when_it_ends) {
  seal::window_sealer sealer(province().pub, {.window = 300s, .max_records = 1000});
  BOOST_TEST(!sealer.holds_key());
  BOOST_TEST(!sealer.wipe_if_ended(t0).has_value());
  (void)sealer.seal(plain, t0);
  BOOST_TEST(sealer.holds_key());
  const auto ends = sealer.wipe_if_ended(t0 + 10s);
  BOOST_TEST_REQUIRE(ends.has_value());
  BOOST_TEST((*ends == t0 + 300s));
  BOOST_TEST(sealer.holds_key());
  BOOST_TEST(!sealer.wipe_if_ended(*ends).has_value());
  BOOST_TEST(!sealer.holds_key());
  // The next record begins a new window.
  const std::string after = sealer.seal(plain, *ends + 1s);
  BOOST_TEST(sealer.holds_key());
  BOOST_TEST(seal::open(province(), after).value_or("") == plain);
}

BOOST_AUTO_TEST_CASE(a_record_altered_anywhere_or_cut_short_is_refused) {
  seal::window_sealer sealer(province().pub);
  const std::string sealed = sealer.seal(plain, t0);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    // Byte 31's low bit is part of the key; its marker bit would turn the
    // record into v1, which does not open either.
    BOOST_TEST(!seal::open(province(), bad).has_value(), "byte " << i);
  }
  for (std::size_t n = 0; n < sealed.size(); ++n)
    BOOST_TEST(!seal::open(province(), sealed.substr(0, n)).has_value(), "length " << n);
  BOOST_TEST(!seal::open(province(), sealed + "x").has_value());
}

BOOST_AUTO_TEST_CASE(a_record_sealed_to_another_key_is_refused) {
  const seal::key_pair other = seal::generate();
  seal::window_sealer sealer(other.pub);
  const auto opened = seal::open(province(), sealer.seal(plain, t0));
  BOOST_TEST_REQUIRE(!opened.has_value());
  BOOST_TEST(opened.error().message().find("not sealed to this key") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_unknown_format_version_is_named_and_refused) {
  seal::window_sealer sealer(province().pub);
  std::string sealed = sealer.seal(plain, t0);
  sealed[seal::v2::version_offset] = 3;
  const auto format = seal::format_of(sealed);
  BOOST_TEST_REQUIRE(!format.has_value());
  BOOST_TEST(format.error().message().find("format 3") != std::string::npos);
  BOOST_TEST(!seal::open(province(), sealed).has_value());
  BOOST_TEST(!seal::format_of(std::string(20, '\0')).has_value());
}

BOOST_AUTO_TEST_CASE(a_public_key_of_small_order_is_refused) {
  // All zeros: the identity, of order 1. Sealing to it would agree a
  // shared key of zero with every ephemeral key.
  const auto zero = seal::parse_public_key("ravao-pk1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
  BOOST_TEST_REQUIRE(!zero.has_value());
  BOOST_TEST(zero.error().message().find("small order") != std::string::npos);
  BOOST_CHECK_THROW(seal::window_sealer(seal::public_key{}), std::invalid_argument);
  BOOST_TEST(seal::parse_public_key(seal::to_text(province().pub)).has_value());
}

BOOST_AUTO_TEST_CASE(two_threads_seal_under_one_window) {
  seal::window_sealer sealer(province().pub, {.window = 300s, .max_records = 100'000});
  std::vector<std::string> a, b;
  std::thread other([&] {
    for (int i = 0; i < 500; ++i) b.push_back(sealer.seal(plain, t0));
  });
  for (int i = 0; i < 500; ++i) a.push_back(sealer.seal(plain, t0));
  other.join();
  std::set<std::string> nonces;
  for (const auto* v : {&a, &b})
    for (const auto& s : *v) {
      BOOST_TEST(ephemeral_of(s) == ephemeral_of(a.front()));
      nonces.insert(s.substr(seal::v2::nonce_offset, seal::v2::nonce_bytes));
    }
  BOOST_TEST(nonces.size() == 1000u);
  BOOST_TEST(seal::open(province(), b.back()).value_or("") == plain);
}
