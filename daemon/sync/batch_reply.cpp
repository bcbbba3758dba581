#include "sync/batch_reply.hpp"

#include <algorithm>
#include <exception>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "sync/retry.hpp"

namespace ravao::sync {
namespace json = boost::json;

namespace {

// At most 200 bytes of a server's text, control characters blanked: it goes
// to the log and into dead letters.
std::string printable(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

reply_decision decision(reply_kind kind, std::size_t next_limit) {
  reply_decision d;
  d.kind = kind;
  d.next_limit = next_limit;
  return d;
}

reply_decision retry(const sent_batch& batch, std::string why,
                     std::optional<std::chrono::milliseconds> at_least = std::nullopt) {
  auto d = decision(reply_kind::retry, batch.limit);
  d.error = std::move(why);
  d.at_least = at_least;
  return d;
}

// 200: {"stored_through": N, "duplicates": D}.
reply_decision stored(const server_reply& r, const sent_batch& batch) {
  std::int64_t through = 0, dups = 0;
  try {
    const auto v = json::parse(r.body);
    const auto& o = v.as_object();
    through = o.at("stored_through").to_number<std::int64_t>();
    if (const auto* d = o.if_contains("duplicates")) dups = d->to_number<std::int64_t>();
  } catch (const std::exception&) {
    return retry(batch, "the server's reply to a batch could not be read (HTTP 200 without stored_through)");
  }
  through = std::min(through, batch.seqs.back());
  if (through < batch.seqs.front())
    return retry(batch, fmt::format("the server acknowledged up to seq {}, before this batch", through));
  auto d = decision(reply_kind::stored, std::min(batch.max_records, batch.limit * 2));
  d.through = through;
  d.stored = std::ranges::count_if(batch.seqs, [&](std::int64_t s) { return s <= through; });
  d.duplicates = dups;
  return d;
}

// 400 / 413 / 422: per-record rejections ({"rejected":[{"seq":N,"reason":...}]})
// are dead-lettered; without a usable list the batch is split until the
// record at fault stands alone, and then that one is.
reply_decision refused(const server_reply& r, const sent_batch& batch) {
  std::vector<dead_letter> dead;
  try {
    const auto v = json::parse(r.body);
    for (const auto& e : v.as_object().at("rejected").as_array()) {
      const auto& o = e.as_object();
      const auto seq = o.at("seq").to_number<std::int64_t>();
      if (std::ranges::find(batch.seqs, seq) == batch.seqs.end()) continue;  // not ours to drop
      std::string reason = o.contains("reason") && o.at("reason").is_string()
                               ? std::string(o.at("reason").as_string()) : "rejected";
      dead.push_back({seq, fmt::format("HTTP {}: {}", r.status, printable(reason))});
    }
  } catch (const std::exception&) {
    dead.clear();
  }
  if (dead.empty()) {
    if (batch.seqs.size() > 1) return decision(reply_kind::split, std::max<std::size_t>(1, batch.seqs.size() / 2));
    dead.push_back({batch.seqs.front(), fmt::format("HTTP {}: {}", r.status, printable(r.body))});
  }
  auto d = decision(reply_kind::dead_letter, batch.limit);
  d.dead = std::move(dead);
  return d;
}

// 409: {"conflicts":[{"seq":N}, ...]}. The server already stored other
// content under these keys (a forgery sent first, or a stream reused):
// never acknowledged, so retention keeps the genuine records.
reply_decision conflict(const server_reply& r, const sent_batch& batch) {
  auto d = decision(reply_kind::conflict, batch.limit);
  try {
    const auto v = json::parse(r.body);
    for (const auto& e : v.as_object().at("conflicts").as_array()) {
      const auto seq = e.as_object().at("seq").to_number<std::int64_t>();
      if (std::ranges::find(batch.seqs, seq) != batch.seqs.end()) d.conflicts.push_back(seq);
    }
  } catch (const std::exception&) {
    d.conflicts.clear();
  }
  if (d.conflicts.empty()) d.conflicts.push_back(batch.seqs.front());
  std::ranges::sort(d.conflicts);
  d.error = fmt::format(
      "CONFLICT: the server holds other content for record #{}{} of this gateway's stream (HTTP 409): possible "
      "impersonation of this gateway; nothing is acknowledged and the records are kept; the province must "
      "investigate",
      d.conflicts.front(), d.conflicts.size() > 1 ? fmt::format(" and {} more", d.conflicts.size() - 1) : "");
  return d;
}

}  // namespace

reply_decision decide_reply(const server_reply& r, const sent_batch& batch, bool after_reauthentication,
                            std::int64_t now_wall_ms) {
  if (r.status == 200) return stored(r, batch);
  if (r.status == 401) {
    if (!after_reauthentication) return decision(reply_kind::reauthenticate, batch.limit);
    return retry(batch, "the server refused this gateway's credentials (HTTP 401, twice)");
  }
  if (r.status == 429 || r.status == 503) {
    const auto ra = parse_retry_after(r.retry_after, now_wall_ms);
    return retry(batch,
                 fmt::format("the server is busy (HTTP {}{})", r.status,
                             ra ? fmt::format(", Retry-After {} s", ra->count() / 1000) : ""),
                 ra);
  }
  if (r.status == 400 || r.status == 413 || r.status == 422) return refused(r, batch);
  if (r.status == 409) return conflict(r, batch);
  if (r.status >= 500) return retry(batch, fmt::format("server error (HTTP {})", r.status));
  return retry(batch, fmt::format("the server answered HTTP {}: {}", r.status, printable(r.body)));
}

}  // namespace ravao::sync
