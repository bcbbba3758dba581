#pragma once
// `[[printer]] kind = "file"`: each job becomes files in the folder `path`
// (demos, tests, and sites that archive slips): `<name>.bin`, the exact
// ESC/POS bytes the job sent, and `<name>.png`, its preview image.
//
// Online once the folder exists (it is created if missing) and is writable;
// otherwise offline with the reason, checked again every retry_interval.
// begin_job() opens `<name>.bin.part`; write() appends to it (blocking file
// I/O on the loop: a job is a few tens of KB); end_job(true) writes the
// preview (`<name>.png`, via a .part file and a rename), flushes the job to
// disk (fsync), renames it to `<name>.bin` and syncs the folder, so a
// `.bin` that exists is complete and its `.png` is already there.
// end_job(false), stop() and a failed write remove the `.part`: an
// incomplete job leaves no file. The name must be [A-Za-z0-9._-] only, not
// starting with a dot (it is a file name in a folder others read).
//
// Writes outside begin_job()/end_job() are refused (invalid_argument).
// can_read() is false: a file reports no status.
//
// Ownership: the retry coroutine holds the transport while it waits; stop()
// cancels its timer. All calls on the executor given at construction.

#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "drivers/printer_transport.hpp"

namespace ravao {

struct file_printer_options {
  std::chrono::milliseconds retry_interval{2000};
};

class file_printer final : public printer_transport, public std::enable_shared_from_this<file_printer> {
 public:
  file_printer(printer_config cfg, boost::asio::any_io_executor ex, printer_sink sink, file_printer_options opt = {});
  ~file_printer() override;

  void start() override;
  void stop() override;
  bool can_read() const override { return false; }
  boost::asio::awaitable<result<std::size_t>> write(std::span<const std::uint8_t> data) override;
  boost::asio::awaitable<result<std::size_t>> read(std::span<std::uint8_t> into,
                                                  std::chrono::milliseconds timeout) override;
  result<void> begin_job(std::string_view name, const raster& preview) override;
  result<void> end_job(bool complete) override;

 private:
  struct job {
    std::string name;
    raster preview;
    int fd = -1;
    std::filesystem::path part;  // <path>/<name>.bin.part
  };
  boost::asio::awaitable<void> run();  // waits for the folder while offline
  void spawn_run();
  void reset(std::string_view error);  // after run() threw: reports offline
  bool check_folder(std::string& why) const;
  void lost(std::string why);  // the folder went wrong: offline, and run() retries
  void discard();              // closes and removes the open job's .part
  void set_state(device_state s, std::string_view reason);
  std::unexpected<error> not_online() const;

  printer_config cfg_;
  boost::asio::any_io_executor ex_;
  printer_sink sink_;
  file_printer_options opt_;
  boost::asio::steady_timer retry_;  // cancelled by stop() and by lost() (to retry at once)
  std::optional<job> job_;
  bool running_ = false, started_ = false, stopped_ = false;
  device_state state_ = device_state::starting;
  std::string reason_;
};

}  // namespace ravao
