#pragma once
// trace-serve's HTTPS server (docs/tracing.md, "The HTTPS API"): POST
// <base>/v1/trace over mutual TLS, for the health department's certificates
// only (the trace role, identity.hpp), on the tracing host where the secret
// key is; never in the ingest server.
//
// Every request that reaches HTTP is answered and audited: the trace's own
// entry (trace_desk::trace, written before the answer), or a
// "trace_refused" entry (who, the status, why, the case and legal basis when
// readable). A handshake that fails (no certificate, an expired one, another
// CA) is no request: it is logged, not audited.
//
// Threads: one I/O thread runs the accept loop and the sessions; the trace
// desk (the store, the key, the trace file) is used on `worker_` only, one
// thread, so index passes, traces and audit entries never race: the trace
// file has one writer. Each job owns its input by value; the session awaits
// it and resumes on the I/O thread. At most `max_waiting` jobs wait (more:
// 503 Retry-After). The server owns the acceptor, the worker, the desk and
// the session streams; stop() closes the acceptor and the streams; a job
// under way finishes, then the worker is joined in the destructor, before
// the desk goes.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/object.hpp>

#include "common/error.hpp"
#include "receiver/identity.hpp"
#include "receiver/trace_desk.hpp"
#include "receiver/trace_rate.hpp"

namespace ravao::receiver {

struct trace_server_options {
  std::string base_path;  // "" or "/ravao"
  // The TLS handshake and a request's header within `handshake_timeout`; its
  // body within `request_timeout`; a keep-alive connection waits
  // `idle_timeout` for its next request, and a reply is written within it.
  std::chrono::seconds handshake_timeout{5};
  std::chrono::seconds request_timeout{30};
  std::chrono::seconds idle_timeout{30};
  std::size_t max_connections = 64;
  std::size_t max_body_bytes = 16 * 1024;  // a trace request is a few hundred bytes; more: 413
  double rate_burst = 10;                  // requests per client certificate at once
  double rate_per_minute = 30;             // and sustained
  std::size_t max_waiting = 16;            // traces waiting for the worker; more: 503
};

class trace_server {
 public:
  // `tls` must outlive the server and is used on `ex` only.
  trace_server(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, std::unique_ptr<trace_desk> desk,
               deny_list deny, trace_server_options o);
  ~trace_server();

  // An index pass before listening (audited as `operator_name`), so that the
  // first request does not pay for the backlog; runs on the worker.
  result<index_stats> index_now(const std::string& operator_name);
  result<boost::asio::ip::tcp::endpoint> listen(const boost::asio::ip::tcp::endpoint& at);
  void stop();
  // SIGHUP: another --deny list (certificates refused from the next request).
  void set_deny(deny_list deny) { deny_ = std::move(deny); }

 private:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  struct reply;
  struct request_context;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<tls_stream> stream, std::string peer);
  // The request whose header is in `rc` (body read or refused here), answered in the returned reply.
  boost::asio::awaitable<reply> answer(request_context& rc, tls_stream& stream);
  // A refusal: its audit entry written (on the worker), then the reply.
  boost::asio::awaitable<reply> refuse(request_context& rc, unsigned status, std::string reason);

  boost::asio::any_io_executor ex_;
  boost::asio::ssl::context& tls_;
  std::unique_ptr<trace_desk> desk_;  // used on worker_ only; destroyed after it is joined
  deny_list deny_;
  trace_server_options options_;
  boost::asio::ip::tcp::acceptor acceptor_;
  client_rate rate_;
  std::vector<std::weak_ptr<tls_stream>> sessions_;
  std::size_t waiting_ = 0;  // jobs handed to the worker and not back yet
  bool stopped_ = false;
  boost::asio::thread_pool worker_{1};  // declared last: joined first
};

}  // namespace ravao::receiver
