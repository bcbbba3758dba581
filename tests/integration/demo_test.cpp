// The demo configuration, as the README runs it: a stdin scanner fed the
// sample scans, no hardware.

#include <boost/test/unit_test.hpp>

#include "integration/common.hpp"

using namespace ravao::test;

BOOST_AUTO_TEST_CASE(demo_config_records_the_sample_scans_from_stdin) {
  std::string cfg = read_file(std::string(RAVAO_SOURCE_DIR) + "/config/demo.toml");
  for (const char* key : {"../var/demo/ravao.db", "../var/demo/ravaod.sock", "../var/demo/slips"}) {
    const std::string k = key;
    cfg.replace(cfg.find(k), k.size(), "{dir}/" + k.substr(k.rfind('/') + 1));
  }
  daemon_under_test d(cfg);
  d.set_stdin(std::string(RAVAO_SOURCE_DIR) + "/config/demo-scans.txt");
  d.start();
  // 7 sample lines: 5 people open visits, a parcel code, a staff command
  // (print a slip), which issues a slip: 8 records; and the end of standard
  // input takes the scanner offline: a device record. The slip and the
  // device record may come in either order.
  BOOST_TEST_REQUIRE(wait_records(d, 9));
  const auto all = d.ctl({"events"}).as_array();
  BOOST_TEST_REQUIRE(all.size() == 9u);
  boost::json::array events;
  for (const auto& e : all)
    if (as_str(e.at("type")) != "device") events.push_back(e);
  BOOST_TEST_REQUIRE(events.size() == 8u);
  BOOST_TEST(as_str(events[0].at("payload_kind")) == "cccd");
  BOOST_TEST(as_str(events[3].at("payload_kind")) == "personal_qr");
  BOOST_TEST(as_str(events[4].at("flags")).find("id_sex_mismatch") != std::string::npos);
  BOOST_TEST(as_str(events[5].at("payload_kind")) == "opaque");
  BOOST_TEST(as_str(events[6].at("type")) == "command");
  BOOST_TEST(as_str(events[7].at("type")) == "slip_issued");
  // The file printer wrote the slip: its bytes and a preview.
  BOOST_TEST(eventually([&] {
    std::size_t png = 0;
    if (std::filesystem::exists(d.dir() / "slips"))
      for (const auto& e : std::filesystem::directory_iterator(d.dir() / "slips")) png += e.path().extension() == ".png";
    return png == 1;
  }));
  BOOST_TEST(d.count_log("scan.identity_mismatch") == 1u);
  // End of input leaves the scanner offline; the daemon keeps running.
  BOOST_TEST(wait_state(d, "quay-1", "offline"));
  BOOST_TEST(d.proc().running());
  const auto human = d.ctl_raw({"visits"});
  BOOST_TEST(human.code == 0);
  BOOST_TEST(human.out.find("NGUYỄN V. A.") != std::string::npos, human.out);
  BOOST_TEST(human.out.find("001090012345") == std::string::npos);
}
