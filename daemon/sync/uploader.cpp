#include "sync/uploader.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/log.hpp"
#include "common/supervise.hpp"
#include "common/gzip.hpp"
#include "common/text.hpp"
#include "sync/batch_reply.hpp"
#include "sync/retry.hpp"
#include "common/tls_client.hpp"

namespace ravao::sync {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using namespace std::chrono_literals;

std::string_view to_string(sync_state s) {
  switch (s) {
    case sync_state::off: return "off";
    case sync_state::waiting_for_clock: return "waiting_for_clock";
    case sync_state::idle: return "idle";
    case sync_state::uploading: return "uploading";
    case sync_state::retrying: return "retrying";
  }
  return "unknown";
}

json::object sync_status::to_json() const {
  json::object o;
  const auto opt = [&](std::string_view k, const std::optional<std::int64_t>& v) {
    if (v) o[k] = *v; else o[k] = nullptr;
  };
  o["state"] = to_string(state);
  o["url"] = url;
  o["stream"] = stream;
  o["depth"] = depth;
  o["acked_seq"] = acked_seq;
  o["last_seq"] = last_seq;
  o["dead_letters"] = dead_letters;
  o["held"] = held;
  json::array types;
  for (const auto& t : held_types) types.emplace_back(t);
  o["held_types"] = std::move(types);
  opt("oldest_unsent_wall_ms", oldest_unsent_wall_ms);
  opt("last_success_wall_ms", last_success_wall_ms);
  o["last_error"] = last_error;
  opt("last_error_wall_ms", last_error_wall_ms);
  opt("next_attempt_wall_ms", next_attempt_wall_ms);
  o["consecutive_failures"] = consecutive_failures;
  o["records_sent"] = records_sent;
  o["batches_sent"] = batches_sent;
  o["duplicates"] = duplicates;
  o["woken_by_commit"] = woken_by_commit;
  json::array conflicts;
  for (const auto seq : conflict_seqs) conflicts.push_back(seq);
  o["conflict_seqs"] = std::move(conflicts);
  opt("conflict_wall_ms", conflict_wall_ms);
  opt("last_heartbeat_wall_ms", last_heartbeat_wall_ms);
  o["store_bytes"] = store_bytes;
  o["store_alarm"] = store_alarm;
  o["sealing"] = sealing;
  return o;
}

namespace {

using ssl_stream = asio::ssl::stream<beast::tcp_stream>;
constexpr std::size_t max_reply_bytes = 1 << 20;

// What one exchange with the server came to. `transport` failures (no
// connection, TLS, timeout, reset, unreadable reply) are retried with backoff.
struct exchange_result {
  std::optional<server_reply> reply;
  std::string failure;  // set when there is no reply
};

std::string json_stamp(const timestamp& t) {
  return fmt::format(R"({{"wall_ms":{},"boot_id":{},"boottime_ns":{},"clock_synced":{}}})", t.wall_ms,
                     json::serialize(json::string(boot_id())), t.boottime_ns, t.synced ? "true" : "false");
}

std::int64_t file_bytes(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? static_cast<std::int64_t>(st.st_size) : 0;
}

// The first line of the token file, read at each connection (a rotated token
// is picked up without a restart). Refused when others may read it.
result<std::string> read_token(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return fail_errno(errno, fmt::format("[sync] token_file {}", p.native()));
  if ((st.st_mode & 077) != 0)
    return fail(errc::config_invalid,
                fmt::format("[sync] token_file {} may be read by other users: chmod 600 it", p.native()));
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty() || line.size() > 4096 ||
      std::ranges::any_of(line, [](char c) { return static_cast<unsigned char>(c) < 0x21 || c == 0x7f; }))
    return fail(errc::config_invalid, fmt::format("[sync] token_file {}: the first line must be the token", p.native()));
  return line;
}

}  // namespace

struct uploader::impl {
  impl(const config& cfg, committer& c, asio::any_io_executor loop, hooks h)
      : cfg_(cfg), sync_(cfg.sync), committer_(c), loop_(std::move(loop)), hooks_(std::move(h)),
        wake_(io_), retry_(sync_.backoff_base, sync_.backoff_cap), limit_(sync_.batch_max_records) {
    status_.sealing = !sync_.public_key.empty();
    status_.url = sync_.url;
    status_.state = sync_.enabled() ? sync_state::waiting_for_clock : sync_state::off;
    if (sync_.enabled()) {
      const auto u = boost::urls::parse_absolute_uri(sync_.url);  // validated by the config loader
      host_ = std::string(u->host());
      if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
      port_ = u->has_port() ? std::string(u->port()) : "443";
      base_path_ = std::string(u->encoded_path());
      while (!base_path_.empty() && base_path_.back() == '/') base_path_.pop_back();
    }
  }

  result<void> start() {
    auto ro = store_reader::open(cfg_.store.path, cfg_.site.utc_offset);
    if (!ro) return std::unexpected(ro.error());
    reader_.emplace(std::move(*ro));
    if (sync_.enabled()) {
      auto ctx = make_client_context({sync_.ca_file, sync_.client_cert, sync_.client_key});
      if (!ctx) return std::unexpected(ctx.error());
      tls_.emplace(std::move(*ctx));
    }
    // Subscribed before the first read: a record committed in between is
    // both read and told, never missed. The notice is posted to io_, so it
    // runs on this thread like everything else here.
    committer_.watch_records(io_.get_executor(), [this](std::int64_t) { on_records(); });
    refresh_position();
    // Supervised (common/supervise.hpp) on the uploader's own context: this
    // object owns the context and outlives it (stop() joins the thread), so
    // the supervisor may use `this`. After an exception, reset() drops the
    // connection and shows the error in the status; a fresh run() starts over
    // from the store's position.
    supervision s;
    s.task = "uploader";
    s.stopped = [this] { return stopping_.load(); };
    s.reset = [this](std::string_view error) { reset(error); };
    spawn_supervised(io_.get_executor(), std::move(s), [this] { return run(); });
    thread_ = std::thread([this] { io_.run(); });
    return {};
  }

  void stop() {
    if (!thread_.joinable()) return;
    stopping_ = true;
    committer_.watch_records({}, {});  // nothing is posted to io_ from now on
    asio::post(io_, [this] {
      wake_.cancel();
      if (stream_) beast::get_lowest_layer(*stream_).cancel();
    });
    io_.stop();  // a coroutine blocked in a long read is abandoned with the context
    thread_.join();
  }

  void kick() {
    asio::post(io_, [this] {
      kicked_ = true;
      retry_.reset();
      wake_.cancel();
    });
  }

  sync_status status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }

  // ---- on the uploader thread ----

  void reset(std::string_view error) {
    close();
    const auto t = now().wall_ms;
    update([&](sync_status& st) {
      st.last_error = "internal error: " + std::string(error);
      st.last_error_wall_ms = t;
      ++st.consecutive_failures;
    });
  }

  template <class F>
  void update(F&& f) {
    {
      std::lock_guard lock(mutex_);
      f(status_);
    }
    if (hooks_.status_changed) asio::post(loop_, hooks_.status_changed);
  }

  void set_state(sync_state s) {
    update([&](sync_status& st) { st.state = s; if (s != sync_state::retrying) st.next_attempt_wall_ms.reset(); });
  }

  void refresh_position() {
    committed_ = false;  // what was committed before this read is in it
    auto pos = reader_->sync_position();
    const std::int64_t bytes = file_bytes(cfg_.store.path) + file_bytes(cfg_.store.path.native() + "-wal");
    const bool alarm = bytes > cfg_.store.alarm_bytes;
    bool raised = false;
    std::vector<std::string> new_types;
    update([&](sync_status& st) {
      if (pos) {
        for (const auto& t : pos->held_types)
          if (std::ranges::find(st.held_types, t) == st.held_types.end()) new_types.push_back(t);
        st.stream = pos->stream;
        st.depth = pos->depth;
        st.acked_seq = pos->acked_seq;
        st.last_seq = pos->last_seq;
        st.dead_letters = pos->dead_letters;
        st.held = pos->held;
        st.held_types = pos->held_types;
        st.oldest_unsent_wall_ms = pos->oldest_unsent_wall_ms;
      }
      raised = alarm && !st.store_alarm;
      st.store_bytes = bytes;
      st.store_alarm = alarm;
    });
    if (!pos) log::error("sync.store", "cannot read the upload position", {{"error", pos.error().message()}});
    if (!new_types.empty())
      log::error("sync.record_type_unknown",
                 fmt::format("the server does not know record type {}: those records are kept and sent again with "
                             "each heartbeat; upgrade ravao-receiver at the province (docs/sync-protocol.md)",
                             text::join(new_types)),
                 {{"types", text::join(new_types)}, {"held", std::to_string(pos->held)}});
    if (raised)
      log::warning("store.alarm", "the store is larger than [store] alarm_megabytes: records are waiting for upload",
                   {{"bytes", std::to_string(bytes)}, {"alarm_bytes", std::to_string(cfg_.store.alarm_bytes)}});
  }

  // The committer's notice that records were committed (watch_records).
  void on_records() {
    committed_ = true;
    if (wake_on_commit_) wake_.cancel();
  }

  // Waits until `until`; kick() and stop() end it early. `on_commit`: a
  // commit ends it too, at once if one came since the last
  // refresh_position() (while a heartbeat was being sent, say): how the
  // uploader learns of new records, without polling the store.
  awaitable<void> wait_until(std::chrono::steady_clock::time_point until, bool on_commit) {
    if (!(on_commit && committed_)) {
      wake_on_commit_ = on_commit;
      wake_.expires_at(until);
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      wake_on_commit_ = false;
    }
    if (on_commit && committed_) update([](sync_status& s) { ++s.woken_by_commit; });
  }
  awaitable<void> wait_for(std::chrono::milliseconds d, bool on_commit) {
    return wait_until(std::chrono::steady_clock::now() + d, on_commit);
  }

  awaitable<void> run() {
    bool told_clock = false;
    auto next_heartbeat = std::chrono::steady_clock::now();
    while (!stopping_) {
      refresh_position();
      if (!sync_.enabled()) {
        // Nothing to send: the position is read again on each commit only,
        // for `ravaoctl sync` and the store alarm.
        co_await wait_until(std::chrono::steady_clock::time_point::max(), true);
        continue;
      }
      if (!clock_synchronised()) {
        // The one poll left: nothing tells a process that NTP has set the
        // clock (adjtimex has no notification; the flag file would need
        // inotify on a folder that may not exist yet). Once a second, only
        // until the first synchronisation, one adjtimex and one stat.
        set_state(sync_state::waiting_for_clock);
        if (!told_clock) log::notice("sync.waiting_for_clock", "no upload before the clock is synchronised (NTP)");
        told_clock = true;
        co_await wait_for(1s, true);
        continue;
      }
      if (told_clock) log::info("sync.clock_synchronised", "clock synchronised: uploads may start");
      told_clock = false;
      if (std::chrono::steady_clock::now() >= next_heartbeat) {
        co_await heartbeat();
        if (status().held > 0) co_await resend_held();
        next_heartbeat = std::chrono::steady_clock::now() + sync_.heartbeat_interval;
      }
      const auto st = status();
      if (st.depth == 0) {
        set_state(sync_state::idle);
        kicked_ = false;
        co_await wait_until(next_heartbeat, true);  // a commit, kick(), or the heartbeat
        continue;
      }
      // A batch that is not full waits for batch_delay from its oldest record.
      if (!kicked_ && st.depth < static_cast<std::int64_t>(limit_) && st.oldest_unsent_wall_ms) {
        const auto age = std::chrono::milliseconds(now().wall_ms - *st.oldest_unsent_wall_ms);
        if (age >= 0ms && age < sync_.batch_delay) {
          // A commit ends the wait early: the batch may now be full.
          co_await wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(sync_.batch_delay - age), true);
          continue;
        }
      }
      set_state(sync_state::uploading);
      const auto wait = co_await upload_one();
      if (wait) {
        const auto at = now().wall_ms + wait->count();
        update([&](sync_status& s) {
          s.state = sync_state::retrying;
          s.next_attempt_wall_ms = at;
        });
        co_await wait_for(*wait, false);  // commits do not shorten a backoff; kick() does
      }
    }
  }

  // Sends the next batch. Returns how long to wait before the next attempt
  // (nullopt: go on at once).
  awaitable<std::optional<std::chrono::milliseconds>> upload_one() {
    const auto acked = status().acked_seq;
    auto batch = reader_->read_upload_batch(acked, limit_, sync_.batch_max_bytes);
    if (!batch) co_return failure(fmt::format("cannot read records to upload: {}", batch.error().message()), {});
    if (batch->seqs.empty()) co_return std::nullopt;
    const std::string gz = batch_body(*batch);

    const sent_batch sent{batch->seqs, limit_, sync_.batch_max_records};
    auto ex = co_await exchange("/v1/batches", gz);
    if (!ex.reply) co_return failure(ex.failure, {});
    auto d = decide_reply(*ex.reply, sent, false, now().wall_ms);
    if (d.kind == reply_kind::reauthenticate) {
      // Re-authenticate once: a new TLS session, the token file read again.
      close();
      ex = co_await exchange("/v1/batches", gz);
      if (!ex.reply) co_return failure(ex.failure, {});
      d = decide_reply(*ex.reply, sent, true, now().wall_ms);
    }
    switch (d.kind) {
      case reply_kind::stored: co_return co_await accepted(*batch, d);
      case reply_kind::split:
        limit_ = d.next_limit;
        log::notice("sync.split", "the server refused a batch without naming a record: sending halves",
                    {{"status", std::to_string(ex.reply->status)}, {"records", std::to_string(limit_)}});
        co_return std::nullopt;
      case reply_kind::dead_letter: co_return co_await dead_letters(std::move(d.dead));
      case reply_kind::conflict: co_return conflicted(d);
      case reply_kind::reauthenticate:  // not after a reauthentication: decide_reply reports the second 401
      case reply_kind::retry: break;
    }
    co_return failure(d.error, d.at_least);
  }

  // The request body of `batch`, gzipped; empties batch.records_json.
  std::string batch_body(upload_batch& batch) {
    std::string body;
    body.reserve(batch.records_json.size() + 512);
    body += R"({"protocol":1,"gateway":)";
    body += json::serialize(json::string(sync_.effective_gateway_id(cfg_.site)));
    body += R"(,"stream":)";
    body += json::serialize(json::string(status().stream));
    body += R"(,"sent":)";
    body += json_stamp(now());
    body += R"(,"records":)";
    body += batch.records_json;
    body += '}';
    batch.records_json.clear();
    batch.records_json.shrink_to_fit();
    return gzip::compress(body, 1);
  }

  // The held records (a type the server did not know), sent again after a
  // heartbeat: on a 200 they stop being dead letters. Any other answer
  // leaves them held, quietly: the alarm already says so, and the
  // stream's own batches report the server's state.
  awaitable<void> resend_held() {
    auto batch = reader_->read_held_batch(sync_.batch_max_records, sync_.batch_max_bytes);
    if (!batch || batch->seqs.empty()) co_return;
    const std::vector<std::int64_t> seqs = batch->seqs;
    const std::string gz = batch_body(*batch);
    auto ex = co_await exchange("/v1/batches", gz);
    if (!ex.reply || ex.reply->status != 200) co_return;
    if (auto r = on_writer([seqs](store_writer& s) { return s.release_held(seqs); }); !r) {
      log::error("sync.store", "cannot record that held records were stored", {{"error", r.error().message()}});
      co_return;
    }
    log::notice("sync.held_stored", "the server stored records it had refused as of an unknown type",
                {{"records", std::to_string(seqs.size())}, {"first_seq", std::to_string(seqs.front())},
                 {"last_seq", std::to_string(seqs.back())}});
    refresh_position();
  }

  std::optional<std::chrono::milliseconds> failure(std::string what, std::optional<std::chrono::milliseconds> at_least) {
    auto delay = retry_.next_delay();
    if (at_least && *at_least > delay) delay = *at_least;
    const auto t = now().wall_ms;
    bool changed = false;
    update([&](sync_status& s) {
      changed = s.last_error != what || s.consecutive_failures == 0;
      s.last_error = what;
      s.last_error_wall_ms = t;
      ++s.consecutive_failures;
    });
    if (changed)
      log::warning("sync.failed", what, {{"retry_in_ms", std::to_string(delay.count())}});
    kicked_ = false;
    return delay;
  }

  // HTTP 409: nothing is acknowledged (retention keeps the records), the
  // alarm shows in the status until a batch holding these seqs is stored,
  // and the same batch is sent again after a backoff: the stream is held
  // until the province removes what it wrongly holds.
  std::optional<std::chrono::milliseconds> conflicted(const reply_decision& d) {
    const auto t = now().wall_ms;
    bool raised = false;
    update([&](sync_status& s) {
      raised = s.conflict_seqs != d.conflicts;
      s.conflict_seqs = d.conflicts;
      s.conflict_wall_ms = t;
    });
    const auto wait = failure(d.error, {});
    if (raised) {
      std::string seqs;
      for (std::size_t i = 0; i < d.conflicts.size() && i < 20; ++i) seqs += (i ? "," : "") + std::to_string(d.conflicts[i]);
      if (d.conflicts.size() > 20) seqs += ",...";
      log::error("sync.record_conflict", d.error,
                 {{"seqs", seqs}, {"first_seq", std::to_string(d.conflicts.front())},
                  {"retry_in_ms", std::to_string(wait ? wait->count() : 0)}});
    }
    return wait;
  }

  // Runs `write` (store_writer& -> result<void>, owning what it uses) on
  // the writer thread; waits for it, or for stop().
  template <class F>
  result<void> on_writer(F write) {
    auto done = std::make_shared<std::promise<result<void>>>();
    auto f = done->get_future();
    committer_.run_on_store([done, write = std::move(write)](store_writer& s) { done->set_value(write(s)); });
    while (f.wait_for(200ms) != std::future_status::ready) {
      if (stopping_) return fail(errc::store_unavailable, "stopping before the store recorded it");
    }
    return f.get();
  }

  // Acknowledges `through` (and dead letters) on the writer thread; waits.
  result<void> acknowledge(std::int64_t through, std::vector<dead_letter> dead) {
    return on_writer([through, dead = std::move(dead)](store_writer& s) { return s.acknowledge(through, dead, now()); });
  }

  awaitable<std::optional<std::chrono::milliseconds>> accepted(const upload_batch& batch, const reply_decision& d) {
    const std::int64_t through = d.through, acked = d.stored, dups = d.duplicates;
    if (auto a = acknowledge(through, {}); !a) co_return failure(fmt::format("cannot record the acknowledgement: {}", a.error().message()), {});
    retry_.reset();
    limit_ = d.next_limit;
    const auto t = now().wall_ms;
    bool resolved = false;
    update([&](sync_status& s) {
      s.records_sent += acked;
      s.batches_sent += 1;
      s.duplicates += dups;
      s.last_success_wall_ms = t;
      s.consecutive_failures = 0;
      resolved = !s.conflict_seqs.empty() && through >= s.conflict_seqs.back();
      if (resolved) s.conflict_seqs.clear();
    });
    if (resolved)
      log::notice("sync.conflict_resolved", "the server stored the records it had refused as conflicting",
                  {{"seq", std::to_string(through)}});
    log::debug("sync.batch", "batch stored by the server",
               {{"first_seq", std::to_string(batch.seqs.front())}, {"last_seq", std::to_string(through)},
                {"records", std::to_string(acked)}, {"duplicates", std::to_string(dups)}});
    refresh_position();
    if (status().depth == 0) log::info("sync.caught_up", "every record is stored by the server", {{"seq", std::to_string(through)}});
    co_return std::nullopt;
  }

  // Records the server will never accept (decide_reply) are kept as dead
  // letters; the acknowledged position stays where it is.
  awaitable<std::optional<std::chrono::milliseconds>> dead_letters(std::vector<dead_letter> dead) {
    for (const auto& d : dead)
      log::warning("sync.dead_letter",
                   d.reason.ends_with("unknown record type")
                       ? "the server does not know this record's type: held, sent again with each heartbeat"
                       : "the server will never accept this record: kept as a dead letter",
                   {{"seq", std::to_string(d.seq)}, {"reason", d.reason}});
    const auto acked = status().acked_seq;
    if (auto a = acknowledge(acked, std::move(dead)); !a)
      co_return failure(fmt::format("cannot record dead letters: {}", a.error().message()), {});
    refresh_position();
    co_return std::nullopt;
  }

  awaitable<void> heartbeat() {
    json::object hb;
    hb["protocol"] = 1;
    hb["gateway"] = sync_.effective_gateway_id(cfg_.site);
    const auto st = status();
    hb["stream"] = st.stream;
    hb["version"] = RAVAO_VERSION;
    hb["sent"] = json::parse(json_stamp(now()));
    hb["site"] = json::object{{"id", cfg_.site.id}, {"name", cfg_.site.name}};
    if (hooks_.heartbeat_snapshot) {
      auto p = std::make_shared<std::promise<json::object>>();
      auto f = p->get_future();
      asio::post(loop_, [p, fn = hooks_.heartbeat_snapshot] {
        try { p->set_value(fn()); } catch (...) { p->set_exception(std::current_exception()); }
      });
      if (f.wait_for(2s) == std::future_status::ready) {
        try {
          for (auto& kv : f.get()) hb[kv.key()] = kv.value();
        } catch (const std::exception&) {
        }
      }
    }
    json::array days;
    if (auto d = reader_->daily_counts(now(), 7)) {
      for (const auto& c : *d)
        days.push_back(json::object{{"date", c.date}, {"scans", c.scans}, {"visits", c.visits}, {"slips", c.slips}});
    }
    hb["days"] = std::move(days);
    json::object q{{"depth", st.depth}, {"dead_letters", st.dead_letters}, {"last_seq", st.last_seq}};
    if (st.oldest_unsent_wall_ms) q["oldest_unsent_wall_ms"] = *st.oldest_unsent_wall_ms;
    else q["oldest_unsent_wall_ms"] = nullptr;
    hb["queue"] = std::move(q);
    hb["store"] = json::object{{"bytes", st.store_bytes}, {"alarm", st.store_alarm}};
    const auto ex = co_await exchange("/v1/heartbeats", gzip::compress(json::serialize(hb), 1));
    if (ex.reply && ex.reply->status / 100 == 2) {
      const auto t = now().wall_ms;
      update([&](sync_status& s) { s.last_heartbeat_wall_ms = t; });
    } else {
      log::info("sync.heartbeat_failed", ex.reply ? fmt::format("HTTP {}", ex.reply->status) : ex.failure);
    }
  }

  void close() {
    if (stream_) {
      boost::system::error_code ec;
      beast::get_lowest_layer(*stream_).socket().close(ec);
      stream_.reset();
    }
  }

  awaitable<std::string> connect() {
    close();
    if (!sync_.token_file.empty()) {
      auto t = read_token(sync_.token_file);
      if (!t) co_return t.error().message();
      token_ = std::move(*t);
    }
    asio::ip::tcp::resolver resolver(io_);
    boost::system::error_code ec;
    auto endpoints = co_await resolver.async_resolve(host_, port_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fmt::format("cannot resolve {}: {}", host_, ec.message());
    auto s = std::make_unique<ssl_stream>(io_, *tls_);
    if (auto r = expect_server_identity(s->native_handle(), host_); !r) co_return r.error().message();
    auto& tcp = beast::get_lowest_layer(*s);
    tcp.expires_after(sync_.request_timeout);
    co_await tcp.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return fmt::format("cannot connect to {}:{}: {}", host_, port_, ec.message());
    tcp.socket().set_option(asio::socket_base::keep_alive(true), ec);
    tcp.expires_after(sync_.request_timeout);
    co_await s->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return describe_handshake_failure(s->native_handle(), ec);
    stream_ = std::move(s);
    co_return std::string{};
  }

  // POSTs a gzip body to base_path + `path`. A kept connection the server
  // closed meanwhile is replaced once, at once.
  awaitable<exchange_result> exchange(std::string_view path, const std::string& gz) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = stream_ != nullptr;
      if (!stream_) {
        if (auto why = co_await connect(); !why.empty()) co_return exchange_result{std::nullopt, why};
      }
      http::request<http::string_body> req{http::verb::post, base_path_ + std::string(path), 11};
      req.set(http::field::host, host_);
      req.set(http::field::user_agent, "ravaod/" RAVAO_VERSION);
      req.set(http::field::content_type, "application/json");
      req.set(http::field::content_encoding, "gzip");
      req.set("Ravao-Protocol", "1");
      if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
      req.body() = gz;
      req.prepare_payload();
      auto& tcp = beast::get_lowest_layer(*stream_);
      boost::system::error_code ec;
      tcp.expires_after(sync_.request_timeout);
      co_await http::async_write(*stream_, req, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        close();
        if (reused) continue;
        co_return exchange_result{std::nullopt, fmt::format("sending failed: {}", ec.message())};
      }
      beast::flat_buffer buf;
      http::response_parser<http::string_body> parser;
      parser.body_limit(max_reply_bytes);
      tcp.expires_after(sync_.request_timeout);
      co_await http::async_read(*stream_, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        close();
        const bool nothing_read = !parser.got_some();
        if (reused && nothing_read && ec != beast::error::timeout) continue;
        co_return exchange_result{std::nullopt, ec == beast::error::timeout
                                                    ? "no reply from the server in time (the batch will be sent again)"
                                                    : fmt::format("no reply from the server ({}): the batch will be sent again", ec.message())};
      }
      auto res = parser.release();
      server_reply out;
      out.status = res.result_int();
      out.body = std::move(res.body());
      if (auto it = res.find(http::field::retry_after); it != res.end()) out.retry_after = std::string(it->value());
      if (!res.keep_alive()) close();
      co_return exchange_result{std::move(out), {}};
    }
    co_return exchange_result{std::nullopt, "the server closed the connection"};
  }

  const config cfg_;
  const sync_config sync_;
  committer& committer_;
  asio::any_io_executor loop_;
  hooks hooks_;
  asio::io_context io_;
  asio::steady_timer wake_;
  backoff retry_;
  std::size_t limit_;
  std::optional<store_reader> reader_;
  std::optional<asio::ssl::context> tls_;
  std::unique_ptr<ssl_stream> stream_;
  std::string host_, port_, base_path_, token_;
  bool kicked_ = false;
  bool committed_ = false;       // a commit was told since the last refresh_position()
  bool wake_on_commit_ = false;  // the current wait ends on a commit
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  sync_status status_;
  std::thread thread_;
};

uploader::uploader(const config& cfg, committer& c, asio::any_io_executor loop, hooks h)
    : impl_(std::make_unique<impl>(cfg, c, std::move(loop), std::move(h))) {}
uploader::~uploader() { stop(); }
result<void> uploader::start() { return impl_->start(); }
void uploader::stop() { impl_->stop(); }
void uploader::kick() { impl_->kick(); }
sync_status uploader::status() const { return impl_->status(); }

}  // namespace ravao::sync
