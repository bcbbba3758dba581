// The lp, tcp, serial and file printer transports against fake printers that
// are real endpoints: a TCP listener on 127.0.0.1 (fake_tcp_printer), a
// pseudo-terminal (fake_pty_printer: the serial transport's tty, and the lp
// transport's device node, standing in for /dev/usb/lp0), and a real folder.
// Each transport runs on an io_context driven here, as in ravaod. Every wait
// has a deadline; nothing asserts on time.

#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <optional>

#include "drivers/escpos/encoder.hpp"
#include "drivers/escpos/status.hpp"
#include "drivers/file_printer.hpp"
#include "drivers/lp_printer.hpp"
#include "drivers/serial_printer.hpp"
#include "drivers/tcp_printer.hpp"
#include "support/escpos_decoder.hpp"
#include "support/fake_printer.hpp"
#include "support/harness.hpp"
#include "support/io_loop.hpp"

namespace asio = boost::asio;
namespace escpos = ravao::escpos;
namespace test = ravao::test;
using namespace std::chrono_literals;
using ravao::device_state;

namespace {

struct loop {
  asio::io_context io;
  std::vector<std::pair<device_state, std::string>> states;

  ravao::printer_sink sink() {
    return ravao::printer_sink{
        [this](device_state s, std::string_view why) { states.emplace_back(s, std::string(why)); }};
  }
  std::string reason() const { return states.empty() ? "(no state)" : states.back().second; }
  bool in(device_state s) const { return !states.empty() && states.back().first == s; }

  // Runs the loop until pred() holds; false at the deadline.
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
    return ravao::test::run_until(io, pred, limit);
  }
  bool until_state(device_state s, std::string_view reason_has = {}) {
    return run_until([&] { return in(s) && reason().find(reason_has) != std::string::npos; });
  }

  template <class T>
  T await(asio::awaitable<T> op) {
    std::optional<T> out;
    asio::co_spawn(io, std::move(op), [&](std::exception_ptr e, T v) {
      if (e) std::rethrow_exception(e);
      out = std::move(v);
    });
    BOOST_TEST_REQUIRE(run_until([&] { return out.has_value(); }));
    return std::move(*out);
  }

  // Runs what is left after a stop(); true when the loop ran out of work
  // (every coroutine of the transport ended).
  bool drain() {
    io.restart();
    io.run_for(10s);
    return io.stopped();
  }
};

std::string message(const ravao::result<std::size_t>& r) { return r ? "ok" : r.error().message(); }

// Stripes, so a band out of place or a lost byte changes the picture.
ravao::raster pattern(int w, int h) {
  ravao::raster r(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if ((x / 8 + y) % 3 == 0 || x == y % w) r.set(x, y);
  return r;
}

const escpos::printer_profile small_bands{
    .name = "test-58", .dots_per_line = 384, .band_height = 24, .cutter = true, .feed_lines = 3};

escpos::job encode(const ravao::raster& image, const escpos::printer_profile& p = small_bands) {
  auto j = escpos::encode_raster_job(image, p);
  BOOST_TEST_REQUIRE(j.has_value(), (j ? "" : j.error().message()));
  return std::move(*j);
}

// A job far larger than the socket or tty buffers: a writer to a printer
// that does not read stays blocked.
escpos::job huge_job() {
  static const escpos::printer_profile wide{.name = "test-80", .dots_per_line = 576, .band_height = 255};
  // Not white: the encoder sends white rows as narrow bands.
  ravao::raster r(576, 120000);
  std::fill(r.bits.begin(), r.bits.end(), std::uint8_t{0x5a});
  return encode(r, wide);  // 8.6 MB
}

// Writes a job band by band, as the print queue does.
ravao::result<void> send_job(loop& l, ravao::printer_transport& p, const escpos::job& j) {
  std::vector<std::size_t> ends = j.band_ends;
  ends.push_back(j.bytes.size());
  std::size_t from = 0;
  for (const std::size_t end : ends) {
    auto w = l.await(p.write(std::span(j.bytes).subspan(from, end - from)));
    if (!w) return std::unexpected(w.error());
    if (*w != end - from) return ravao::fail(ravao::errc::protocol, "short write");
    from = end;
  }
  return {};
}

// The fake printed exactly what was sent, and what the decoder reads from it.
void check_printed(const test::fake_printer& fake, const escpos::job& j, std::size_t job_index = 0) {
  BOOST_TEST_REQUIRE(fake.wait_for_jobs(job_index + 1));
  const auto decoded = test::decode_escpos(j.bytes);
  BOOST_TEST_REQUIRE(decoded.has_value());
  const auto jobs = fake.jobs();
  BOOST_TEST((jobs[job_index].image == decoded->pages.at(0)));
  BOOST_TEST(jobs[job_index].cut);
  BOOST_TEST(fake.violations().empty(), (fake.violations().empty() ? "" : fake.violations().front()));
  BOOST_TEST(fake.bytes_while_not_ready() == 0u);
}

void prints_a_job(loop& l, ravao::printer_transport& p, const test::fake_printer& fake) {
  const auto j = encode(pattern(320, 100));  // 5 bands, centered on 384 dots
  BOOST_TEST_REQUIRE(j.band_ends.size() == 5u);
  auto sent = send_job(l, p, j);
  BOOST_TEST_REQUIRE(sent.has_value(), (sent ? "" : sent.error().message()));
  BOOST_TEST_REQUIRE(fake.wait_for_bytes(j.bytes.size()));
  BOOST_TEST(fake.received() == j.bytes);
  check_printed(fake, j);
}

// DLE EOT 4 and DLE EOT 2 answered with the fake's condition; then nothing: timed_out.
void answers_status_requests(loop& l, ravao::printer_transport& p, test::fake_printer& fake) {
  BOOST_TEST_REQUIRE(p.can_read());
  fake.set_condition({.paper_out = true, .cover_open = true});
  std::vector<std::uint8_t> request;
  for (auto n : {escpos::status_request::paper_sensor, escpos::status_request::offline_cause}) {
    const auto b = escpos::dle_eot(n);
    request.insert(request.end(), b.begin(), b.end());
  }
  auto w = l.await(p.write(request));
  BOOST_TEST_REQUIRE(w.has_value(), message(w));
  std::vector<std::uint8_t> replies;
  while (replies.size() < 2) {
    std::array<std::uint8_t, 8> buf{};
    auto r = l.await(p.read(buf, 10s));
    BOOST_TEST_REQUIRE(r.has_value(), message(r));
    replies.insert(replies.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*r));
  }
  BOOST_TEST_REQUIRE(replies.size() == 2u);
  const auto sensor = escpos::decode_reply(escpos::status_request::paper_sensor, replies[0]);
  const auto cause = escpos::decode_reply(escpos::status_request::offline_cause, replies[1]);
  BOOST_TEST(sensor.paper_out.value_or(false));
  BOOST_TEST(cause.cover_open.value_or(false));
  std::array<std::uint8_t, 8> buf{};
  auto t = l.await(p.read(buf, 100ms));
  BOOST_TEST_REQUIRE(!t.has_value());
  BOOST_TEST((t.error().code == std::errc::timed_out), t.error().message());
  BOOST_TEST(fake.bytes_while_not_ready() == 0u);  // requests are answered, not printed
  fake.set_condition({});
}

// stop() with a write blocked on a printer that takes no data: the write
// ends with operation_canceled, and no state is reported after stop().
void stop_cancels_a_write_in_flight(loop& l, std::shared_ptr<ravao::printer_transport> p) {
  const auto j = huge_job();
  bool started = false;
  std::optional<ravao::result<std::size_t>> got;
  asio::co_spawn(
      l.io,
      [&]() -> asio::awaitable<void> {
        started = true;
        got = co_await p->write(j.bytes);
      },
      asio::detached);
  BOOST_TEST_REQUIRE(l.run_until([&] { return started; }));
  BOOST_TEST_REQUIRE(!got.has_value());  // blocked: the printer reads nothing
  const std::size_t states_before = l.states.size();
  p->stop();
  BOOST_TEST_REQUIRE(l.run_until([&] { return got.has_value(); }));
  BOOST_TEST_REQUIRE(!got->has_value());
  BOOST_TEST((got->error().code == std::errc::operation_canceled), got->error().message());
  p.reset();
  BOOST_TEST(l.drain());
  BOOST_TEST(l.states.size() == states_before);
}

// A printer that stops taking data: timed_out, with what was sent. `bytes`
// must be more than the buffers between the transport and the printer hold.
void write_times_out(loop& l, ravao::printer_transport& p, std::size_t bytes) {
  const auto j = huge_job();
  auto w = l.await(p.write(std::span(j.bytes).first(bytes)));
  BOOST_TEST_REQUIRE(!w.has_value());
  BOOST_TEST((w.error().code == std::errc::timed_out), w.error().message());
  BOOST_TEST(w.error().context.find("took no data") != std::string::npos, w.error().context);
}

ravao::printer_config config(ravao::printer_kind kind) {
  ravao::printer_config c;
  c.id = "p1";
  c.kind = kind;
  c.paper_width_mm = 58;
  return c;
}

// --- tcp ---

const ravao::tcp_printer_options fast_tcp{.connect_timeout = 5000ms,
                                          .write_timeout = 10000ms,
                                          .first_backoff = 50ms,
                                          .max_backoff = 400ms,
                                          .inbox_bytes = 4096};

struct tcp_fixture : loop {
  test::fake_tcp_printer fake{{.receive_buffer = 4096}};
  std::shared_ptr<ravao::tcp_printer> p;
  std::shared_ptr<ravao::tcp_printer> make(ravao::tcp_printer_options opt = fast_tcp) {
    auto c = config(ravao::printer_kind::tcp);
    c.address = fake.address();
    p = std::make_shared<ravao::tcp_printer>(c, io.get_executor(), sink(), opt);
    return p;
  }
  ~tcp_fixture() {
    if (p) p->stop();
    p.reset();
    drain();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(tcp)

BOOST_FIXTURE_TEST_CASE(goes_online_and_prints_a_job_band_by_band, tcp_fixture) {
  make()->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST(reason() == "connected to " + fake.address());
  prints_a_job(*this, *p, fake);
  BOOST_TEST(fake.connections() == 1u);
}

BOOST_FIXTURE_TEST_CASE(answers_dle_eot_requests, tcp_fixture) {
  make()->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  answers_status_requests(*this, *p, fake);
}

BOOST_FIXTURE_TEST_CASE(printer_not_listening_then_listening_comes_online_by_backoff, tcp_fixture) {
  fake.stop_listening();
  make()->start();
  BOOST_TEST_REQUIRE(until_state(device_state::offline, "Connection refused"), reason());
  BOOST_TEST(reason() == "cannot connect to " + fake.address() + ": Connection refused");
  BOOST_TEST(!p->can_read());
  auto w = await(p->write(std::vector<std::uint8_t>{0x1b, 0x40}));
  BOOST_TEST_REQUIRE(!w.has_value());
  BOOST_TEST((w.error().code == std::errc::not_connected), w.error().message());
  fake.start_listening();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  prints_a_job(*this, *p, fake);
}

BOOST_FIXTURE_TEST_CASE(printer_closing_the_connection_goes_offline_and_reconnects, tcp_fixture) {
  make()->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  // Online once the kernel completed the handshake; the fake may not have
  // accepted the connection yet.
  BOOST_TEST_REQUIRE(fake.wait_for_connections(1));
  fake.drop_connection();
  BOOST_TEST_REQUIRE(until_state(device_state::offline, "closed by the printer"), reason());
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST_REQUIRE(fake.wait_for_connections(2));

  // Closed in the middle of a write: the write fails, then the same again.
  fake.pause_reading(true);
  const auto j = huge_job();
  std::optional<ravao::result<std::size_t>> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> { got = co_await p->write(j.bytes); }, asio::detached);
  BOOST_TEST_REQUIRE(run_until([&] { return fake.received().size() > 0; }));
  BOOST_TEST(!got.has_value());
  fake.drop_connection();
  fake.pause_reading(false);
  BOOST_TEST_REQUIRE(run_until([&] { return got.has_value(); }));
  BOOST_TEST_REQUIRE(!got->has_value());
  BOOST_TEST((got->error().code == std::errc::broken_pipe), got->error().message());
  BOOST_TEST_REQUIRE(until_state(device_state::offline), reason());
  // The loop must run for the transport to reconnect: wait by running it.
  BOOST_TEST_REQUIRE(run_until([&] { return in(device_state::online) && fake.connections() >= 3; }), reason());
}

BOOST_FIXTURE_TEST_CASE(a_printer_that_stops_reading_times_the_write_out, tcp_fixture) {
  auto opt = fast_tcp;
  opt.write_timeout = 300ms;
  make(opt)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  fake.pause_reading(true);
  write_times_out(*this, *p, huge_job().bytes.size());
  BOOST_TEST(in(device_state::online));  // the connection is kept
}

BOOST_FIXTURE_TEST_CASE(stop_with_a_write_in_flight, tcp_fixture) {
  make()->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  fake.pause_reading(true);
  auto held = std::move(p);
  stop_cancels_a_write_in_flight(*this, std::move(held));
}

BOOST_AUTO_TEST_SUITE_END()

// --- serial and lp: a pty ---

namespace {

const ravao::device_printer_options fast_device{.write_timeout = 10000ms, .retry_interval = 100ms};

template <class Transport>
struct pty_fixture : loop {
  test::temp_dir dir;
  test::fake_pty_printer fake{dir / "printer", false};
  std::shared_ptr<Transport> p;
  std::shared_ptr<Transport> make(ravao::printer_kind kind, ravao::device_printer_options opt = fast_device,
                                  unsigned baud = 115200) {
    auto c = config(kind);
    c.device = (dir / "printer").native();
    c.baud = baud;
    p = std::make_shared<Transport>(c, io.get_executor(), sink(), opt);
    return p;
  }
  ~pty_fixture() {
    if (p) p->stop();
    p.reset();
    drain();
  }
};

using serial_fixture = pty_fixture<ravao::serial_printer>;
using lp_fixture = pty_fixture<ravao::lp_printer>;

}  // namespace

BOOST_AUTO_TEST_SUITE(serial)

BOOST_FIXTURE_TEST_CASE(goes_online_prints_and_answers_status, serial_fixture) {
  fake.plug();
  make(ravao::printer_kind::serial)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST(reason() == "opened " + fake.link().native() + " (115200 baud, 8N1)");
  prints_a_job(*this, *p, fake);
  answers_status_requests(*this, *p, fake);
}

BOOST_FIXTURE_TEST_CASE(missing_device_then_plugged_then_unplugged, serial_fixture) {
  make(ravao::printer_kind::serial)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::offline), reason());
  BOOST_TEST(reason() == "waiting for " + fake.link().native());
  fake.plug();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());

  fake.unplug();
  BOOST_TEST_REQUIRE(until_state(device_state::offline), reason());
  auto w = await(p->write(std::vector<std::uint8_t>{0x1b, 0x40}));
  BOOST_TEST_REQUIRE(!w.has_value());
  BOOST_TEST((w.error().code == std::errc::not_connected), w.error().message());
  BOOST_TEST_REQUIRE(until_state(device_state::offline, "waiting for"), reason());
  fake.plug();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  prints_a_job(*this, *p, fake);
}

BOOST_FIXTURE_TEST_CASE(a_printer_that_stops_reading_times_the_write_out, serial_fixture) {
  fake.plug();
  // The deadline adds the time the bytes take on the wire (a pty has no
  // speed): 256 KB at 921600 baud is about 2.8 s.
  make(ravao::printer_kind::serial, {.write_timeout = 300ms, .retry_interval = 100ms}, 921600)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  fake.pause_reading(true);
  write_times_out(*this, *p, 256 * 1024);
}

BOOST_FIXTURE_TEST_CASE(stop_with_a_write_in_flight, serial_fixture) {
  fake.plug();
  make(ravao::printer_kind::serial)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  fake.pause_reading(true);
  auto held = std::move(p);
  stop_cancels_a_write_in_flight(*this, std::move(held));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lp)

BOOST_FIXTURE_TEST_CASE(goes_online_prints_answers_status_and_reopens_after_a_hangup, lp_fixture) {
  make(ravao::printer_kind::lp)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::offline), reason());
  BOOST_TEST(reason() == "waiting for " + fake.link().native());
  fake.plug();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST(reason() == "opened " + fake.link().native());
  prints_a_job(*this, *p, fake);
  answers_status_requests(*this, *p, fake);  // a pty reads like a bidirectional usblp printer

  fake.unplug();
  BOOST_TEST_REQUIRE(until_state(device_state::offline), reason());
  fake.plug();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
}

BOOST_FIXTURE_TEST_CASE(stop_with_a_write_in_flight, lp_fixture) {
  fake.plug();
  make(ravao::printer_kind::lp)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  fake.pause_reading(true);
  auto held = std::move(p);
  stop_cancels_a_write_in_flight(*this, std::move(held));
}

BOOST_AUTO_TEST_SUITE_END()

// --- file ---

namespace {

struct file_fixture : loop {
  test::temp_dir dir;
  std::shared_ptr<ravao::file_printer> p;
  std::shared_ptr<ravao::file_printer> make(const std::filesystem::path& folder) {
    auto c = config(ravao::printer_kind::file);
    c.path = folder;
    p = std::make_shared<ravao::file_printer>(c, io.get_executor(), sink(),
                                              ravao::file_printer_options{.retry_interval = 100ms});
    return p;
  }
  ~file_fixture() {
    if (p) p->stop();
    p.reset();
    drain();
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(file)

BOOST_FIXTURE_TEST_CASE(a_complete_job_is_a_bin_and_a_png, file_fixture) {
  const auto folder = dir / "slips" / "today";  // created
  make(folder)->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST(!p->can_read());
  const auto image = pattern(320, 100);
  const auto j = encode(image);
  auto b = p->begin_job("slip-000017-job12", image);
  BOOST_TEST_REQUIRE(b.has_value(), (b ? "" : b.error().message()));
  auto sent = send_job(*this, *p, j);
  BOOST_TEST_REQUIRE(sent.has_value(), (sent ? "" : sent.error().message()));
  BOOST_TEST(!std::filesystem::exists(folder / "slip-000017-job12.bin"));  // not before end_job
  auto e = p->end_job(true);
  BOOST_TEST_REQUIRE(e.has_value(), (e ? "" : e.error().message()));
  const std::string bin = test::read_file(folder / "slip-000017-job12.bin");
  BOOST_TEST((std::vector<std::uint8_t>(bin.begin(), bin.end()) == j.bytes));
  const std::string png = test::read_file(folder / "slip-000017-job12.png");
  BOOST_TEST(png.starts_with("\x89PNG\r\n\x1a\n"));
  BOOST_TEST(!std::filesystem::exists(folder / "slip-000017-job12.bin.part"));
  BOOST_TEST(!std::filesystem::exists(folder / "slip-000017-job12.png.part"));

  std::array<std::uint8_t, 4> buf{};
  auto r = await(p->read(buf, 100ms));
  BOOST_TEST_REQUIRE(!r.has_value());
  BOOST_TEST((r.error().code == std::errc::not_supported));
}

BOOST_FIXTURE_TEST_CASE(an_incomplete_job_leaves_no_file, file_fixture) {
  make(dir.path())->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  const auto image = pattern(320, 100);
  const auto j = encode(image);
  BOOST_TEST_REQUIRE(p->begin_job("job2", image).has_value());
  auto w = await(p->write(std::span(j.bytes).first(j.band_ends[0])));
  BOOST_TEST_REQUIRE(w.has_value(), message(w));
  BOOST_TEST(std::filesystem::exists(dir / "job2.bin.part"));
  BOOST_TEST(p->end_job(false).has_value());
  BOOST_TEST(std::filesystem::is_empty(dir.path()));

  // stop() in the middle of a job is the same.
  BOOST_TEST_REQUIRE(p->begin_job("job3", image).has_value());
  p->stop();
  BOOST_TEST(std::filesystem::is_empty(dir.path()));
}

BOOST_FIXTURE_TEST_CASE(unsafe_names_and_writes_outside_a_job_are_refused, file_fixture) {
  make(dir.path())->start();
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  const auto image = pattern(320, 8);
  for (const char* name : {"", ".hidden", "..", "../escape", "a/b", "sp ace", "nul\x01"}) {
    BOOST_TEST_CONTEXT(name) {
      auto b = p->begin_job(name, image);
      BOOST_TEST_REQUIRE(!b.has_value());
      BOOST_TEST((b.error().code == std::errc::invalid_argument), b.error().message());
    }
  }
  auto w = await(p->write(std::vector<std::uint8_t>{0x1b, 0x40}));
  BOOST_TEST_REQUIRE(!w.has_value());
  BOOST_TEST((w.error().code == std::errc::invalid_argument), w.error().message());
  BOOST_TEST(std::filesystem::is_empty(dir.path()));
}

BOOST_FIXTURE_TEST_CASE(a_folder_that_cannot_be_made_is_retried, file_fixture) {
  test::write_file(dir / "blocker", "a file where a folder should be");
  make(dir / "blocker" / "slips")->start();
  BOOST_TEST_REQUIRE(until_state(device_state::offline, "cannot create folder"), reason());
  auto b = p->begin_job("job1", pattern(320, 8));
  BOOST_TEST_REQUIRE(!b.has_value());
  BOOST_TEST((b.error().code == std::errc::not_connected), b.error().message());
  std::filesystem::remove(dir / "blocker");
  BOOST_TEST_REQUIRE(until_state(device_state::online), reason());
  BOOST_TEST(std::filesystem::is_directory(dir / "blocker" / "slips"));
}

BOOST_AUTO_TEST_SUITE_END()
