#include "receiver/server.hpp"

#include <sodium.h>

#include <fstream>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "common/log.hpp"
#include "common/supervise.hpp"
#include "receiver/exchange.hpp"

namespace ravao::receiver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Token comparison in constant time for equal lengths.
bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

result<std::vector<bearer_token>> load_tokens(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return fail_errno(errno, fmt::format("--tokens {}: cannot read", path.string()));
  std::vector<bearer_token> tokens;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto last = line.find_last_not_of(" \t\r");
    const std::string_view text = std::string_view(line).substr(first, last - first + 1);
    const auto gap = text.find_first_of(" \t");
    bearer_token t;
    if (gap == std::string_view::npos) {
      t.token = text;
    } else {
      t.gateway = text.substr(0, gap);
      const auto rest = text.substr(gap).find_first_not_of(" \t");
      t.token = text.substr(gap + rest);
      if (t.token.find_first_of(" \t") != std::string::npos) {
        return fail(errc::invalid_argument,
                    fmt::format("{}:{}: expected \"TOKEN\" or \"GATEWAY TOKEN\"", path.string(), n));
      }
    }
    tokens.push_back(std::move(t));
  }
  if (tokens.empty()) return fail(errc::invalid_argument, fmt::format("--tokens {}: no token in the file", path.string()));
  return tokens;
}

server::server(asio::any_io_executor ex, asio::ssl::context& tls, database& db, faults& f, server_options o)
    : ex_(ex),
      tls_(tls),
      db_(db),
      faults_(f),
      options_(std::move(o)),
      acceptor_(ex),
      per_address_(options_.max_connections_per_address),
      decoders_(options_.decode_threads) {}

// The pool's destructor joins its threads: a decode still running finishes
// first (it touches nothing of the server).
server::~server() = default;

result<tcp::endpoint> server::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(std::error_code(ec.value(), std::system_category()),
                fmt::format("cannot listen on {}:{}", at.address().to_string(), at.port()));
  }
  const auto bound = acceptor_.local_endpoint(ec);
  // Supervised (common/supervise.hpp): if accepting breaks, the service must
  // restart (exit_process: serve_command's fatal handler stops with exit 1).
  // serve_command owns this server for the whole run, so `this` is safe.
  supervision s;
  s.task = "receiver.accept";
  s.policy = on_failure::exit_process;
  s.stopped = [this] { return stopped_; };
  spawn_supervised(ex_, std::move(s), [this] { return accept_loop(); });
  return bound;
}

void server::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : sessions_) {
    if (auto s = w.lock()) beast::get_lowest_layer(*s).close();
  }
  sessions_.clear();
}

void server::count(const std::string& gateway, std::string_view outcome) {
  if (auto r = db_.count_outcome(gateway, outcome); !r) {
    log::warning("receiver.stats_failed", r.error().message());
  }
}

asio::awaitable<void> server::accept_loop() {
  while (!stopped_) {
    tcp::socket socket(ex_);
    boost::system::error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      log::warning("receiver.accept_failed", ec.message());
      continue;
    }
    const auto remote = socket.remote_endpoint(ec);
    std::string peer = ec ? "?" : fmt::format("{}:{}", remote.address().to_string(), remote.port());
    const std::string key = ec ? "?" : address_key(remote.address());
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    if (sessions_.size() >= options_.max_connections) {
      log::warning("receiver.too_many_connections", "connection refused", {{"peer", peer}});
      socket.close(ec);
      continue;
    }
    auto admission = per_address_.admit(key);
    if (!admission.admitted) {
      // Logged once each time an address reaches its cap, not per connection:
      // a flood must not flood the log too.
      if (admission.first_refusal) {
        log::warning("receiver.too_many_connections_from_address", "connections from one address refused",
                     {{"peer", peer}, {"limit", std::to_string(options_.max_connections_per_address)}});
      }
      socket.close(ec);
      continue;
    }
    auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), tls_);
    sessions_.push_back(stream);
    // An exception in one session closes only that connection (session.failed).
    spawn_session(ex_, "receiver.session", serve(std::move(stream), std::move(peer), std::move(admission.slot)));
  }
}

std::expected<sender, refusal> server::authorize(const http::fields& head, std::string_view client_cn) const {
  sender who{.token_gateway = {}, .client_cn = std::string(client_cn)};
  if (options_.tokens.empty()) return who;
  const std::string_view auth = head[http::field::authorization];
  const bearer_token* found = nullptr;
  if (auth.starts_with("Bearer ")) {
    const auto given = auth.substr(7);
    for (const auto& t : options_.tokens) {
      if (same_secret(given, t.token)) found = &t;
    }
  }
  if (!found) {
    return std::unexpected(refusal{.status = 401,
                                   .message = auth.empty() ? "a bearer token is required" : "unknown bearer token",
                                   .outcome = "unauthorized"});
  }
  who.token_gateway = found->gateway;
  return who;
}

bool server::may_send_for(const sender& who, const std::string& gateway, exchange& x) {
  if (!who.token_gateway.empty() && who.token_gateway != gateway) {
    x.fail(http::status::forbidden, "this bearer token belongs to another gateway");
  } else if (options_.bind_client_cn && who.client_cn != gateway) {
    x.fail(http::status::forbidden, "the client certificate's CN is not this gateway");
  } else {
    return true;
  }
  count(gateway, "forbidden");
  return false;
}

void server::handle(exchange& x, const sender& who, decoded_body decoded) {
  if (auto* refused = std::get_if<refused_body>(&decoded)) {
    x.gateway = refused->gateway;
    x.fail(static_cast<http::status>(refused->status), refused->message);
    count(x.gateway, refused->outcome);
    return;
  }
  if (auto* invalid = std::get_if<invalid_records>(&decoded)) {
    x.gateway = invalid->gateway;
    if (!may_send_for(who, x.gateway, x)) return;
    json::array rejected;
    for (const auto& r : invalid->rejected) rejected.push_back(json::object{{"seq", r.seq}, {"reason", r.reason}});
    x.status = http::status::unprocessable_entity;
    x.note = fmt::format("{} records rejected, first seq {}: {}", invalid->rejected.size(),
                         invalid->rejected.front().seq, invalid->rejected.front().reason);
    x.body = json::serialize(json::object{{"protocol", 1}, {"rejected", std::move(rejected)}});
    count(x.gateway, "rejected");
    return;
  }
  if (auto* h = std::get_if<heartbeat>(&decoded)) {
    x.gateway = h->gateway;
    if (!may_send_for(who, h->gateway, x)) return;
    if (auto r = db_.store_heartbeat(*h, now_ms()); !r) {
      log::error("receiver.store_failed", r.error().message(), {{"gateway", h->gateway}});
      x.fail(http::status::service_unavailable, "the receiver cannot store right now");
      x.retry_after = 5;
      return;
    }
    x.body = json::serialize(json::object{{"protocol", 1}});
    return;
  }
  auto& b = std::get<batch>(decoded);
  x.gateway = b.gateway;
  x.records = static_cast<std::int64_t>(b.records.size());
  if (!may_send_for(who, b.gateway, x)) return;
  if (const auto forced = faults_.before_store()) {
    x.fail(static_cast<http::status>(forced->status), fmt::format("fault injected ({})", forced->outcome));
    x.retry_after = forced->retry_after_seconds;
    count(b.gateway, forced->outcome);
    return;
  }
  const auto store_started = std::chrono::steady_clock::now();
  auto stored = db_.store_batch(b, now_ms());
  x.store_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                     store_started).count();
  if (!stored) {
    log::error("receiver.store_failed", stored.error().message(), {{"gateway", b.gateway}});
    x.fail(http::status::service_unavailable, "the receiver cannot store right now");
    x.retry_after = 5;
    count(b.gateway, "store_failed");
    return;
  }
  x.accepted = stored->accepted;
  x.duplicates = stored->duplicates;
  if (stored->duplicates > 0) {
    log::notice("receiver.duplicates_discarded", "records already stored were discarded",
                {{"gateway", b.gateway}, {"stream", b.stream}, {"count", std::to_string(stored->duplicates)}});
  }
  if (faults_.take_lost_ack()) {
    x.drop = true;
    x.note = "fault injected (lost-ack): committed, closing without a reply";
    count(b.gateway, "lost_ack");
    return;
  }
  x.body = json::serialize(json::object{{"protocol", 1},
                                        {"stored_through", stored->stored_through},
                                        {"accepted", stored->accepted},
                                        {"duplicates", stored->duplicates}});
}

}  // namespace ravao::receiver
