// The real libusb against emulated USB devices (umockdev; docs/usb-testing.md):
// the test infrastructure the USB driver work builds on, and the HID POS
// decoder fed by reports that travelled through libusb and usbfs.
// Runs under the umockdev preload (see tests/CMakeLists.txt).

#include <boost/test/unit_test.hpp>

#include <libusb.h>

#include <cstring>

#include "drivers/usb/hid_pos.hpp"
#include "drivers/usb/report_descriptor.hpp"
#include "support/usb/fake_usb.hpp"

namespace fu = ravao::test::usb;
namespace usb = ravao::usb;

namespace {

// HID POS scanner, report id 2: Byte Count, AIM id (3), Decoded Data (56),
// Decode Data Continued (1 bit) + padding: the layout of hardware.md.
const fu::bytes pos_descriptor = {
    0x05, 0x8C, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x12, 0xA1, 0x02, 0x85, 0x02,
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x05, 0x01, 0x09, 0x3B, 0x95, 0x01, 0x81, 0x02,
    0x05, 0x8C, 0x09, 0xFB, 0x09, 0xFC, 0x09, 0xFD, 0x95, 0x03, 0x81, 0x02,
    0x09, 0xFE, 0x95, 0x38, 0x82, 0x02, 0x01,
    0x09, 0xFF, 0x75, 0x01, 0x95, 0x01, 0x25, 0x01, 0x81, 0x02,
    0x75, 0x07, 0x81, 0x03, 0xC0, 0xC0};

fu::device_spec scanner_spec() {
  fu::interface_spec i{.cls = 3, .subclass = 0, .protocol = 0, .endpoints = {{0x81, 3, 64, 1}},
                       .hid_report_descriptor = pos_descriptor, .kernel_driver = "usbhid"};
  return {.vid = 0x05e0, .pid = 0x1300, .bcd_device = 0x0100, .dev_class = 0, .manufacturer = "Fake Symbol",
          .product = "POS Scanner", .serial = "S123", .interfaces = {i}, .busnum = 1, .devnum = 2,
          .port_path = "2", .device_id_1284 = ""};
}

fu::device_spec printer_spec() {
  fu::interface_spec i{.cls = 7, .subclass = 1, .protocol = 2, .endpoints = {{0x01, 2, 64, 0}, {0x82, 2, 64, 0}},
                       .hid_report_descriptor = {}, .kernel_driver = "usblp"};
  return {.vid = 0x04b8, .pid = 0x0202, .bcd_device = 0x0100, .dev_class = 0, .manufacturer = "Fake Epson",
          .product = "Receipt", .serial = "P9", .interfaces = {i}, .busnum = 1, .devnum = 3, .port_path = "3",
          .device_id_1284 = "MFG:EPSON;CMD:ESCPOS;MDL:TM-T20;CLS:PRINTER;"};
}

// Splits a scan into HID POS reports of the layout above.
std::vector<fu::bytes> pos_reports(const std::string& data, const std::string& aim) {
  std::vector<fu::bytes> out;
  for (std::size_t off = 0; off < data.size(); off += 56) {
    const std::size_t n = std::min<std::size_t>(56, data.size() - off);
    fu::bytes r(62, 0);
    r[0] = 0x02;
    r[1] = static_cast<std::uint8_t>(n);
    std::memcpy(&r[2], aim.data(), 3);
    std::memcpy(&r[5], data.data() + off, n);
    r[61] = off + n < data.size() ? 1 : 0;
    out.push_back(r);
  }
  return out;
}

libusb_device_handle* open_device(libusb_context* ctx, std::uint16_t vid, std::uint16_t pid,
                                  std::vector<std::uint8_t>* ports = nullptr) {
  libusb_device** list = nullptr;
  const ssize_t n = libusb_get_device_list(ctx, &list);
  libusb_device_handle* h = nullptr;
  for (ssize_t i = 0; i < n; ++i) {
    libusb_device_descriptor d{};
    libusb_get_device_descriptor(list[i], &d);
    if (d.idVendor != vid || d.idProduct != pid) continue;
    if (ports) {
      std::uint8_t p[8];
      const int np = libusb_get_port_numbers(list[i], p, sizeof p);
      if (np > 0) ports->assign(p, p + np);
    }
    if (libusb_open(list[i], &h) != 0) h = nullptr;
  }
  libusb_free_device_list(list, 1);
  return h;
}

struct testbed_fixture {
  fu::usb_testbed bed;  // before libusb_init: it sets $UMOCKDEV_DIR
  fu::fake_usb_device scanner{scanner_spec()};
  fu::fake_usb_device printer{printer_spec()};
  libusb_context* ctx = nullptr;
  testbed_fixture() {
    bed.add_root_hub();
    bed.add(scanner);
    bed.add(printer);
    BOOST_TEST_REQUIRE(libusb_init(&ctx) == 0);
  }
  ~testbed_fixture() { libusb_exit(ctx); }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_hid_pos_scan_travels_through_libusb_and_is_reassembled, testbed_fixture) {
  std::vector<std::uint8_t> ports;
  libusb_device_handle* h = open_device(ctx, 0x05e0, 0x1300, &ports);
  BOOST_TEST_REQUIRE(h != nullptr);
  BOOST_TEST((ports == std::vector<std::uint8_t>{2}));  // port path 1-2

  // usbhid holds the interface until it is detached; reattached on release.
  BOOST_TEST(libusb_kernel_driver_active(h, 0) == 1);
  BOOST_TEST(libusb_claim_interface(h, 0) == LIBUSB_ERROR_BUSY);
  BOOST_TEST(libusb_detach_kernel_driver(h, 0) == 0);
  BOOST_TEST(libusb_claim_interface(h, 0) == 0);

  unsigned char rd[512];
  const int n = libusb_control_transfer(h, 0x81, LIBUSB_REQUEST_GET_DESCRIPTOR, 0x2200, 0, rd, sizeof rd, 1000);
  BOOST_TEST_REQUIRE(n == static_cast<int>(pos_descriptor.size()));
  auto parsed = usb::parse_report_descriptor(std::span<const std::uint8_t>(rd, static_cast<std::size_t>(n)));
  BOOST_TEST_REQUIRE(parsed.has_value());
  BOOST_TEST((usb::classify(*parsed).kind == usb::scanner_interface::hid_pos_scanner));
  auto decoder = usb::hid_pos_decoder::create(*parsed, 8192);
  BOOST_TEST_REQUIRE(decoder.has_value());

  const std::string cccd =
      "001090012345||Nguyễn Văn An|01011990|Nam|Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai|15082021";
  const auto reports = pos_reports(cccd, "]Q1");
  BOOST_TEST_REQUIRE(reports.size() >= 2u);
  for (const auto& r : reports) scanner.queue_in(0x81, r);
  std::vector<usb::pos_scan> scans;
  usb::pos_sink sink{[&](const usb::pos_scan& s) { scans.push_back(s); }, {}};
  for (std::size_t i = 0; i < reports.size(); ++i) {
    unsigned char buf[64];
    int got = 0;
    BOOST_TEST_REQUIRE(libusb_interrupt_transfer(h, 0x81, buf, sizeof buf, &got, 2000) == 0);
    decoder->feed(std::span<const std::uint8_t>(buf, static_cast<std::size_t>(got)), sink);
  }
  BOOST_TEST_REQUIRE(scans.size() == 1u);
  BOOST_TEST(scans[0].bytes == cccd);
  BOOST_TEST(scans[0].symbology == "]Q1");

  BOOST_TEST(libusb_release_interface(h, 0) == 0);
  BOOST_TEST(libusb_attach_kernel_driver(h, 0) == 0);
  BOOST_TEST(scanner.kernel_driver_bound(0));
  libusb_close(h);
}

BOOST_FIXTURE_TEST_CASE(printer_bytes_stall_and_unplug, testbed_fixture) {
  libusb_device_handle* h = open_device(ctx, 0x04b8, 0x0202);
  BOOST_TEST_REQUIRE(h != nullptr);
  libusb_set_auto_detach_kernel_driver(h, 1);
  BOOST_TEST_REQUIRE(libusb_claim_interface(h, 0) == 0);
  unsigned char job[] = {0x1b, 0x40, 'X', 'i', 'n', ' ', 'c', 'h', 'a', 'o', 0x0a};
  int sent = 0;
  BOOST_TEST(libusb_bulk_transfer(h, 0x01, job, sizeof job, &sent, 2000) == 0);
  BOOST_TEST(sent == static_cast<int>(sizeof job));
  BOOST_TEST((printer.take_out(0x01) == fu::bytes(job, job + sizeof job)));

  // A stalled endpoint: the transfer reports it, clear_halt, and the retry works.
  printer.fail_next(0x01, -EPIPE);
  BOOST_TEST(libusb_bulk_transfer(h, 0x01, job, sizeof job, &sent, 2000) == LIBUSB_ERROR_PIPE);
  BOOST_TEST(libusb_clear_halt(h, 0x01) == 0);
  BOOST_TEST(printer.clear_halt_count(0x01) == 1);
  BOOST_TEST(libusb_bulk_transfer(h, 0x01, job, sizeof job, &sent, 2000) == 0);

  // Unplugged: the handle is dead for good.
  printer.unplug();
  BOOST_TEST(libusb_bulk_transfer(h, 0x01, job, sizeof job, &sent, 2000) == LIBUSB_ERROR_NO_DEVICE);
  libusb_close(h);
}
