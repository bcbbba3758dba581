// Who the control socket admits (control/peer_access.hpp), and audit finding
// 10: the overflow uid 65534 stands for "a user outside the daemon's user
// namespace" only when ravaod really runs in one; outside, it is the real
// user nobody and must be refused unless in the socket's group.

#include <boost/test/unit_test.hpp>

#include <vector>

#include "control/peer_access.hpp"

using namespace ravao;

namespace {

// /proc/self/uid_map as the kernel prints it ("%10u %10u %10u\n").
constexpr std::string_view initial_map = "         0          0 4294967295\n";
// ravao.service with PrivateUsers=yes (systemd maps root and the unit's user).
constexpr std::string_view private_users_map = "         0          0          1\n       998        998          1\n";
// `unshare --user --map-user=ravao` (the package test's emulation).
constexpr std::string_view unshare_map = "       998        998          1\n";
// A namespace that maps 65534 itself: there it is a real user again.
constexpr std::string_view maps_nobody_map = "         0          0          1\n     65534      65534          1\n";

constexpr uid_t nobody = 65534;
constexpr uid_t ravao_uid = 998;
constexpr gid_t ctl_gid = 997;

}  // namespace

BOOST_AUTO_TEST_CASE(id_maps_parse_as_the_kernel_prints_them) {
  BOOST_TEST(initial_user_namespace(initial_map));
  BOOST_TEST(initial_user_namespace("0 0 4294967295"));
  BOOST_TEST(!initial_user_namespace(private_users_map));
  BOOST_TEST(!initial_user_namespace(unshare_map));
  BOOST_TEST(!initial_user_namespace("0 0 4294967294\n"));
  BOOST_TEST(!initial_user_namespace("0 0 4294967295\n1 1 1\n"));
  // Unreadable or garbled: the initial namespace (fail closed).
  for (std::string_view bad : {"", "0 0", "0 0 4294967295 7\n", "a b c\n", "0 0 1x\n"})
    BOOST_TEST(initial_user_namespace(bad), bad);

  BOOST_TEST(id_mapped(private_users_map, 0));
  BOOST_TEST(id_mapped(private_users_map, 998));
  BOOST_TEST(!id_mapped(private_users_map, 1));
  BOOST_TEST(!id_mapped(private_users_map, 997));
  BOOST_TEST(!id_mapped(private_users_map, 65534));
  BOOST_TEST(id_mapped(initial_map, 65534));
  BOOST_TEST(id_mapped(maps_nobody_map, 65534));
}

BOOST_AUTO_TEST_CASE(audit_10_nobody_is_refused_outside_a_user_namespace) {
  // The audit's attack: the real user nobody (uid 65534, group nogroup)
  // connects to a daemon that runs in the initial user namespace.
  const auto access = make_control_access(initial_map, nobody, ravao_uid, ctl_gid);
  BOOST_TEST(!access.outsider_uid.has_value());
  const std::vector<gid_t> nogroup{65534};
  BOOST_TEST(!peer_admitted(access, {nobody, 65534, nogroup}));
  BOOST_TEST(!peer_admitted(access, {nobody, 65534, {}}));
  // ... also where /proc/self/uid_map cannot be read.
  BOOST_TEST(!peer_admitted(make_control_access("", nobody, ravao_uid, ctl_gid), {nobody, 65534, {}}));
  // ... and in a namespace that maps 65534: there too it is the real nobody.
  BOOST_TEST(!peer_admitted(make_control_access(maps_nobody_map, nobody, ravao_uid, ctl_gid), {nobody, 65534, {}}));
  // nobody put in the control group is a member like any other.
  const std::vector<gid_t> member{65534, ctl_gid};
  BOOST_TEST(peer_admitted(access, {nobody, 65534, member}));
}

BOOST_AUTO_TEST_CASE(audit_10_outsiders_are_admitted_inside_a_user_namespace) {
  // Under PrivateUsers= every client that is neither root nor ravao shows as
  // 65534; the kernel already checked the socket's mode, group and folder.
  for (std::string_view map : {private_users_map, unshare_map}) {
    const auto access = make_control_access(map, nobody, ravao_uid, std::nullopt);
    BOOST_TEST((access.outsider_uid == std::optional<uid_t>{nobody}));
    BOOST_TEST(peer_admitted(access, {nobody, 65534, {}}));
    BOOST_TEST(!peer_admitted(access, {1000, 65534, {}}));
  }
}

BOOST_AUTO_TEST_CASE(root_own_user_and_members_are_admitted) {
  const auto access = make_control_access(initial_map, nobody, ravao_uid, ctl_gid);
  const std::vector<gid_t> staff{1000, 24, ctl_gid};
  const std::vector<gid_t> devices_only{1000, 996};
  BOOST_TEST(peer_admitted(access, {0, 0, {}}));
  BOOST_TEST(peer_admitted(access, {ravao_uid, 996, {}}));
  BOOST_TEST(peer_admitted(access, {1000, 1000, staff}));
  BOOST_TEST(peer_admitted(access, {1001, ctl_gid, {}}));  // primary group
  BOOST_TEST(!peer_admitted(access, {1002, 1002, devices_only}));
  // A socket group that cannot be known admits nobody by group.
  const auto unknown = make_control_access(initial_map, nobody, ravao_uid, std::nullopt);
  BOOST_TEST(!peer_admitted(unknown, {1000, 1000, staff}));
}
