#include "drivers/file_printer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include "common/png.hpp"
#include "common/supervise.hpp"

namespace ravao {
namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

std::string strerror_text(int err) { return std::error_code(err, std::system_category()).message(); }

// A job name becomes a file name in a folder other programs read: plain
// characters only, and no hidden files, "." or "..".
bool safe_name(std::string_view n) {
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  };
  return !n.empty() && n.size() <= 200 && n.front() != '.' && std::ranges::all_of(n, ok);
}

// Makes a rename in `dir` durable.
void sync_folder(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

file_printer::file_printer(printer_config cfg, asio::any_io_executor ex, printer_sink sink, file_printer_options opt)
    : cfg_(std::move(cfg)), ex_(std::move(ex)), sink_(std::move(sink)), opt_(opt), retry_(ex_) {}

file_printer::~file_printer() { discard(); }

void file_printer::start() {
  if (started_ || stopped_) return;
  started_ = true;
  spawn_run();
}

void file_printer::spawn_run() {
  // Supervised (common/supervise.hpp), holding this printer until run()
  // returns: online, or stopped. After an exception, reset() reports the
  // printer offline and a fresh run() checks the folder again.
  running_ = true;
  spawn_supervised_loop(ex_, "printer " + cfg_.id, shared_from_this(), &file_printer::run, &file_printer::reset,
                        &file_printer::stopped_);
}

void file_printer::reset(std::string_view error) {
  set_state(device_state::offline, "restarting after an internal error: " + std::string(error));
}

void file_printer::stop() {
  stopped_ = true;
  retry_.cancel();
  discard();  // a job cut short by stop() is incomplete
}

void file_printer::set_state(device_state s, std::string_view reason) {
  if (s == state_ && reason == reason_) return;
  state_ = s;
  reason_ = reason;
  if (!stopped_ && sink_.on_state) sink_.on_state(s, reason);
}

std::unexpected<error> file_printer::not_online() const {
  return fail(std::make_error_code(std::errc::not_connected),
              fmt::format("printer {} is {}: {}", cfg_.id, to_string(state_), reason_));
}

bool file_printer::check_folder(std::string& why) const {
  std::error_code ec;
  fs::create_directories(cfg_.path, ec);
  if (ec) {
    why = fmt::format("cannot create folder {}: {}", cfg_.path.native(), ec.message());
    return false;
  }
  if (!fs::is_directory(cfg_.path, ec)) {
    why = fmt::format("{} is not a folder", cfg_.path.native());
    return false;
  }
  if (::access(cfg_.path.c_str(), W_OK | X_OK) != 0) {
    why = fmt::format("cannot write to folder {}: {}", cfg_.path.native(), strerror_text(errno));
    return false;
  }
  return true;
}

asio::awaitable<void> file_printer::run() {
  auto self = shared_from_this();  // keeps *this alive while waiting
  while (!stopped_) {
    std::string why;
    if (check_folder(why)) {
      set_state(device_state::online, "writing slips to " + cfg_.path.native());
      break;
    }
    set_state(device_state::offline, why);
    retry_.expires_after(opt_.retry_interval);
    boost::system::error_code ec;
    co_await retry_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  running_ = false;
}

void file_printer::lost(std::string why) {
  set_state(device_state::offline, why);
  if (!running_ && !stopped_) spawn_run();
}

void file_printer::discard() {
  if (!job_) return;
  if (job_->fd >= 0) ::close(job_->fd);
  std::error_code ignored;
  fs::remove(job_->part, ignored);
  job_.reset();
}

result<void> file_printer::begin_job(std::string_view name, const raster& preview) {
  if (stopped_ || state_ != device_state::online) return not_online();
  if (!safe_name(name))
    return fail(std::make_error_code(std::errc::invalid_argument),
                fmt::format("printer {}: job name \"{}\" is not a safe file name (only A-Z a-z 0-9 . _ -, not "
                            "starting with a dot)",
                            cfg_.id, name));
  if (job_)
    return fail(std::make_error_code(std::errc::device_or_resource_busy),
                fmt::format("printer {}: job {} is still open", cfg_.id, job_->name));
  job j{.name = std::string(name), .preview = preview, .fd = -1, .part = cfg_.path / (std::string(name) + ".bin.part")};
  j.fd = ::open(j.part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (j.fd < 0) {
    const int err = errno;
    const std::string why = fmt::format("cannot create {}: {}", j.part.native(), strerror_text(err));
    lost(why);
    return fail(std::make_error_code(std::errc::io_error), fmt::format("printer {}: {}", cfg_.id, why));
  }
  job_ = std::move(j);
  return {};
}

asio::awaitable<result<std::size_t>> file_printer::write(std::span<const std::uint8_t> data) {
  if (stopped_ || state_ != device_state::online) co_return not_online();
  if (!job_)
    co_return fail(std::make_error_code(std::errc::invalid_argument),
                   fmt::format("printer {}: write outside a job (begin_job first)", cfg_.id));
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(job_->fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      const std::string where = job_->part.native();
      discard();
      co_return fail(std::make_error_code(std::errc::io_error),
                     fmt::format("printer {}: writing {} failed after {} of {} bytes: {}", cfg_.id, where, done,
                                 data.size(), strerror_text(err)));
    }
    done += static_cast<std::size_t>(n);
  }
  co_return done;
}

result<void> file_printer::end_job(bool complete) {
  if (!complete) {
    discard();
    return {};
  }
  if (stopped_) {
    discard();  // already done by stop()
    return fail(std::make_error_code(std::errc::operation_canceled),
                fmt::format("printer {}: stopped before the job was finished", cfg_.id));
  }
  if (!job_)
    return fail(std::make_error_code(std::errc::invalid_argument),
                fmt::format("printer {}: no job open (it failed, or begin_job was not called)", cfg_.id));
  const auto failed = [&](std::string why) {
    discard();
    return fail(std::make_error_code(std::errc::io_error), fmt::format("printer {}: {}", cfg_.id, why));
  };
  if (::fsync(job_->fd) != 0) return failed(fmt::format("cannot flush {}: {}", job_->part.native(), strerror_text(errno)));
  ::close(job_->fd);
  job_->fd = -1;

  // The preview first: a .bin that exists has its .png beside it.
  if (job_->preview.width > 0 && job_->preview.height > 0) {
    const fs::path png = cfg_.path / (job_->name + ".png");
    const fs::path png_part = cfg_.path / (job_->name + ".png.part");
    if (auto ok = slip::write_png(job_->preview, png_part); !ok) {
      std::error_code ignored;
      fs::remove(png_part, ignored);
      return failed(ok.error().message());
    }
    std::error_code ec;
    fs::rename(png_part, png, ec);
    if (ec) return failed(fmt::format("cannot rename {}: {}", png_part.native(), ec.message()));
  }
  std::error_code ec;
  fs::rename(job_->part, cfg_.path / (job_->name + ".bin"), ec);
  if (ec) return failed(fmt::format("cannot rename {}: {}", job_->part.native(), ec.message()));
  sync_folder(cfg_.path);
  job_.reset();
  return {};
}

asio::awaitable<result<std::size_t>> file_printer::read(std::span<std::uint8_t>, std::chrono::milliseconds) {
  co_return fail(std::make_error_code(std::errc::not_supported),
                 fmt::format("printer {} writes files: it reports no status", cfg_.id));
}

}  // namespace ravao
