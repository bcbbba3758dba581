#include "print/printer_worker.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include <algorithm>

#include "common/supervise.hpp"
#include "drivers/escpos/encoder.hpp"
#include "slip/render_job.hpp"

namespace ravao::print {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto status_timeout = 1000ms;
constexpr auto held_poll = 1000ms;
constexpr auto idle_poll = 30s;
constexpr auto min_backoff = std::chrono::milliseconds(2s);
constexpr auto max_backoff = std::chrono::milliseconds(60s);

bool ready(escpos::printer_status s) {
  return s == escpos::printer_status::online || s == escpos::printer_status::paper_near_end;
}

// "slip-000171-job12": what the file printer names the job's files.
std::string job_name(const print_job_row& job, const slip::job_content& content) {
  std::string number;
  if (const auto* c = std::get_if<slip::slip_content>(&content)) number = c->slip_number;
  std::string name = job.kind;
  if (!number.empty()) name += "-" + number;
  name += fmt::format("-job{}", job.id);
  std::erase_if(name, [](char c) {
    return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_');
  });
  return name;
}

}  // namespace

const escpos::printer_profile& printer_worker::profile_for(const printer_config& cfg) {
  if (!cfg.profile.empty())
    if (const auto* p = escpos::find_profile(cfg.profile)) return *p;
  return escpos::generic_profile(cfg.paper_width_mm);
}

printer_worker::printer_worker(asio::any_io_executor ex, printer_config cfg,
                               std::shared_ptr<printer_transport> transport, std::shared_ptr<slip::fonts> fonts,
                               worker_hooks hooks)
    : ex_(ex),
      cfg_(std::move(cfg)),
      profile_(&profile_for(cfg_)),
      transport_(std::move(transport)),
      fonts_(std::move(fonts)),
      hooks_(std::move(hooks)),
      wake_timer_(ex) {}

void printer_worker::start() {
  // Supervised (common/supervise.hpp), holding this worker until run() ends
  // after stop(). After an exception (a store read that threw), reset() forgets
  // the status exchange in progress and a fresh run() takes the queue from
  // the store again; a job cut short is printed again in full.
  spawn_supervised_loop(ex_, "print_queue " + cfg_.id, shared_from_this(), &printer_worker::run,
                        &printer_worker::reset, &printer_worker::stopped_);
}

void printer_worker::reset(std::string_view) {
  holding_ = false;
  parser_.clear_expected();
}

void printer_worker::stop() {
  stopped_ = true;
  wake_timer_.cancel();
}

void printer_worker::transport_state(device_state s) {
  transport_state_ = s;
  wake();
}

void printer_worker::wake() {
  woken_ = true;
  wake_timer_.cancel();
}

std::optional<escpos::printer_status> printer_worker::status() const {
  if (!answered_) return std::nullopt;
  return machine_.status();
}

asio::awaitable<void> printer_worker::sleep(std::chrono::milliseconds d) {
  if (woken_ || stopped_) {
    woken_ = false;
    co_return;
  }
  wake_timer_.expires_after(d);
  boost::system::error_code ec;
  co_await wake_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  woken_ = false;
}

asio::awaitable<bool> printer_worker::ready_now() {
  if (!transport_->can_read()) co_return true;
  parser_.clear_expected();
  std::vector<std::uint8_t> request;
  for (auto n : {escpos::status_request::printer, escpos::status_request::offline_cause,
                 escpos::status_request::paper_sensor}) {
    if (!parser_.expect(n)) break;
    const auto bytes = escpos::dle_eot(n);
    request.insert(request.end(), bytes.begin(), bytes.end());
  }
  if (auto w = co_await transport_->write(request); !w) co_return false;
  std::size_t replies = 0;
  const auto deadline = std::chrono::steady_clock::now() + status_timeout;
  std::array<std::uint8_t, 64> buf{};
  while (replies < 3 && !stopped_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    auto r = co_await transport_->read(buf, left);
    if (!r) break;
    parser_.feed(std::span(buf.data(), *r), [&](const escpos::status_report& report) {
      if (report.answers) ++replies;
      answered_ = true;
      if (auto t = machine_.observe(report.seen)) {
        status_reason_ = t->reason;
        if (hooks_.on_status) hooks_.on_status(t->from, t->to, t->reason);
      }
    });
  }
  parser_.clear_expected();
  if (replies == 0) {
    if (!answered_) co_return true;  // never answered: driven blind
    if (auto t = machine_.no_reply()) {
      status_reason_ = t->reason;
      if (hooks_.on_status) hooks_.on_status(t->from, t->to, t->reason);
    }
    co_return false;
  }
  co_return ready(machine_.status());
}

void printer_worker::requeue(const print_job_row& job, const std::string& why) {
  hooks_.set_state(job.id, job_state::queued, why);
  if (hooks_.on_job) hooks_.on_job(job, "requeued", why);
}

asio::awaitable<void> printer_worker::print(const print_job_row& job) {
  const auto content = slip::decode(job.kind, job.content);  // stored content is untrusted
  auto image = content ? slip::render_job(*fonts_, *content, profile_->dots_per_line)
                       : result<raster>(std::unexpected(content.error()));
  result<escpos::job> encoded = image ? escpos::encode_raster_job(*image, *profile_)
                                      : result<escpos::job>(std::unexpected(image.error()));
  if (!encoded) {
    finished_.insert(job.id);
    hooks_.set_state(job.id, job_state::failed, encoded.error().message());
    if (hooks_.on_job) hooks_.on_job(job, "failed", encoded.error().message());
    co_return;
  }
  hooks_.set_state(job.id, job_state::printing, "");
  if (auto b = transport_->begin_job(job_name(job, *content), *image); !b) {
    requeue(job, b.error().message());
    backoff_ = std::clamp(backoff_ * 2, min_backoff, max_backoff);
    co_await sleep(backoff_);
    co_return;
  }
  const auto& bytes = encoded->bytes;
  std::vector<std::size_t> ends = encoded->band_ends;
  if (ends.empty() || ends.back() != bytes.size()) ends.push_back(bytes.size());
  std::size_t from = 0;
  for (std::size_t i = 0; i < ends.size(); ++i) {
    auto w = co_await transport_->write(std::span(bytes).subspan(from, ends[i] - from));
    if (stopped_) {
      (void)transport_->end_job(false);
      co_return;  // the job stays "printing": requeued at the next start
    }
    if (!w) {
      (void)transport_->end_job(false);
      requeue(job, fmt::format("sending failed after {} of {} bytes: {}", from, bytes.size(), w.error().message()));
      backoff_ = std::clamp(backoff_ * 2, min_backoff, max_backoff);
      co_await sleep(backoff_);
      co_return;
    }
    from = ends[i];
    if (i + 1 < ends.size() && !blind() && !co_await ready_now()) {
      (void)transport_->end_job(false);
      requeue(job, fmt::format("printer stopped in the middle of the job ({}): printing it again when ready",
                               escpos::to_string(machine_.status())));
      co_return;
    }
  }
  if (auto e = transport_->end_job(true); !e) {
    requeue(job, e.error().message());
    co_return;
  }
  if (!blind() && !co_await ready_now()) {
    requeue(job, fmt::format("printer not ready after the job ({}): printing it again when ready",
                             escpos::to_string(machine_.status())));
    co_return;
  }
  backoff_ = 0ms;
  finished_.insert(job.id);
  ++printed_;
  hooks_.set_state(job.id, job_state::printed, "");
  if (hooks_.on_job) hooks_.on_job(job, "printed", fmt::format("{} bytes", bytes.size()));
}

asio::awaitable<void> printer_worker::run() {
  while (!stopped_) {
    if (transport_state_ != device_state::online) {
      holding_ = false;
      co_await sleep(idle_poll);
      continue;
    }
    auto jobs = hooks_.pending();
    if (!jobs) {
      co_await sleep(min_backoff);
      continue;
    }
    const auto next = std::find_if(jobs->begin(), jobs->end(),
                                   [&](const print_job_row& j) { return !finished_.contains(j.id); });
    if (next == jobs->end()) {
      holding_ = false;
      if (transport_->can_read()) (void)co_await ready_now();  // keeps `ravaoctl devices` current
      co_await sleep(transport_->can_read() ? std::chrono::milliseconds(idle_poll) : std::chrono::hours(1));
      continue;
    }
    if (!co_await ready_now()) {
      if (!holding_ || held_job_ != next->id) {
        if (hooks_.on_job)
          hooks_.on_job(*next, "held", fmt::format("printer reports {}", escpos::to_string(machine_.status())));
      }
      holding_ = true;
      held_job_ = next->id;
      co_await sleep(held_poll);
      continue;
    }
    holding_ = false;
    co_await print(*next);
  }
}

}  // namespace ravao::print
