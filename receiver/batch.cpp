#include "receiver/batch.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <fmt/format.h>

#include "common/seal.hpp"
#include "common/text.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr std::array known_types{"visit_opened",  "visit_closed", "scan", "command", "slip_issued",
                                 "slip_returned", "declaration",  "undo", "device",  "action"};

// Upper bounds of one record's fields, far above anything a gateway sends:
// they keep one hostile record from costing the receiver much.
constexpr std::size_t max_id_bytes = 128;
constexpr std::size_t max_short_text = 256;
constexpr std::size_t max_actor_bytes = 64;
constexpr std::size_t max_payload_bytes = 64 * 1024;
constexpr std::size_t max_sealed_text = 256 * 1024;
constexpr std::size_t max_flags = 32;

std::optional<std::int64_t> as_int(const json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return std::nullopt;
}

const json::string* as_string(const json::value* v) { return v && v->is_string() ? &v->get_string() : nullptr; }

// Text the receiver stores and its operators read (records, stats) holds no
// control characters, bidi controls or ill-formed UTF-8: no gateway has a
// reason to send them in these fields, and on a terminal they could rewrite
// the screen. Empty when fine, else what is wrong (never the text itself).
// `allowed`: ASCII controls accepted anyway (TAB in a scanned payload).
std::string check_printable(std::string_view key, std::string_view value, std::string_view allowed = {}) {
  const auto at = text::first_control(value, allowed);
  if (!at) return {};
  return fmt::format("{} holds a control character or ill-formed UTF-8 at byte {}", key, *at);
}

bool valid_gateway(std::string_view g) {
  if (g.empty() || g.size() > max_id_bytes) return false;
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  };
  return std::ranges::all_of(g, ok) && g.front() != '.' && g.front() != '-';
}

bool valid_stream(std::string_view s) {
  return s.size() == 32 && std::ranges::all_of(s, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// The four time fields, shared by `sent` and each record. An empty string
// when fine, else what is wrong.
std::string read_stamp(const json::object& o, clock_stamp& out) {
  const auto wall = as_int(o.if_contains("wall_ms"));
  if (!wall) return "wall_ms missing or not an integer";
  const auto* boot = as_string(o.if_contains("boot_id"));
  if (!boot || boot->empty() || boot->size() > max_id_bytes) return "boot_id missing or not a short string";
  if (auto why = check_printable("boot_id", *boot); !why.empty()) return why;
  const auto boottime = as_int(o.if_contains("boottime_ns"));
  if (!boottime || *boottime < 0) return "boottime_ns missing or not an integer >= 0";
  const auto* synced = o.if_contains("clock_synced");
  if (!synced || !synced->is_bool()) return "clock_synced missing or not a boolean";
  out.wall_ms = *wall;
  out.boot_id.assign(boot->data(), boot->size());
  out.boottime_ns = *boottime;
  out.clock_synced = synced->get_bool();
  return {};
}

// Optional string field: absent is fine; present must be a printable string
// of at most `max` bytes.
std::string check_text(const json::object& r, std::string_view key, std::size_t max, std::string_view allowed = {}) {
  const auto* v = r.if_contains(key);
  if (!v) return {};
  if (!v->is_string()) return fmt::format("{} is not a string", key);
  if (v->get_string().size() > max) return fmt::format("{} is longer than {} bytes", key, max);
  return check_printable(key, v->get_string(), allowed);
}

std::string check_optional_int(const json::object& r, std::string_view key) {
  const auto* v = r.if_contains(key);
  if (v && !as_int(v)) return fmt::format("{} is not an integer", key);
  return {};
}

// Everything but seq (checked by the caller); fills `row`.
std::string check_record(const json::object& r, record_row& row) {
  const auto* type = as_string(r.if_contains("type"));
  if (!type) return "type missing or not a string";
  if (std::ranges::find(known_types, std::string_view(*type)) == known_types.end()) {
    return "unknown record type";
  }
  const auto* counter = as_string(r.if_contains("counter"));
  if (!counter || counter->empty() || counter->size() > max_id_bytes) return "counter missing or not a short string";
  if (auto why = check_printable("counter", *counter); !why.empty()) return why;
  if (auto why = read_stamp(r, row.at); !why.empty()) return why;
  for (const auto key : {"visit", "ref"}) {
    if (auto why = check_optional_int(r, key); !why.empty()) return why;
  }
  for (const auto key : {"kind", "name_masked", "id_masked", "symbology", "close_reason", "action", "printer"}) {
    if (auto why = check_text(r, key, max_short_text); !why.empty()) return why;
  }
  // Who asked for it at the gateway (docs/sync-protocol.md, "actor").
  if (auto why = check_text(r, "actor", max_actor_bytes); !why.empty()) return why;
  // A payload is scanned text: a TAB inside it is data (docs/payload-formats.md).
  if (auto why = check_text(r, "payload", max_payload_bytes, "\t"); !why.empty()) return why;
  if (*type == "visit_closed" && !r.contains("close_reason")) return "visit_closed without close_reason";
  // A person's print-only action names the command and the person.
  if (*type == "action" && !r.contains("action")) return "action without action";
  if (*type == "action" && !r.contains("actor")) return "action without actor";
  if (const auto* flags = r.if_contains("flags")) {
    if (!flags->is_array()) return "flags is not an array";
    if (flags->get_array().size() > max_flags) return fmt::format("more than {} flags", max_flags);
    for (const auto& f : flags->get_array()) {
      if (!f.is_string() || f.get_string().size() > max_short_text) return "flags holds something not a short string";
      if (auto why = check_printable("flags", f.get_string()); !why.empty()) return why;
    }
  }
  if (const auto* sealed = r.if_contains("sealed")) {
    if (!sealed->is_string()) return "sealed is not a string";
    if (sealed->get_string().size() > max_sealed_text) return fmt::format("sealed is longer than {} bytes", max_sealed_text);
    const auto bytes = seal::unbase64(sealed->get_string());
    if (!bytes) return "sealed is not valid base64";
    // Either sealed format (docs/sync-protocol.md); whether it opens is
    // the key holder's question (`ravao-receiver records --key`).
    if (auto format = seal::format_of(*bytes); !format) return "sealed is not a sealed box: " + format.error().context;
  }
  row.type.assign(type->data(), type->size());
  row.counter.assign(counter->data(), counter->size());
  if (const auto* actor = as_string(r.if_contains("actor"))) row.actor.assign(actor->data(), actor->size());
  row.json = json::serialize(r);
  return {};
}

// Boost.JSON reads a number beyond the range of a double (1e999) as
// infinity and writes it back as 1e99999, which no JSON parser reads: kept,
// such a body would be stored as text that `ravao-receiver records` cannot
// read again.
bool finite_numbers(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: return std::isfinite(v.get_double());
    case json::kind::array: return std::ranges::all_of(v.get_array(), finite_numbers);
    case json::kind::object:
      return std::ranges::all_of(v.get_object(), [](const json::key_value_pair& kv) { return finite_numbers(kv.value()); });
    default: return true;
  }
}

// A handler for json::basic_parser that builds nothing and counts values
// and keys, stopping the parse past `max`.
struct value_counter {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::size_t max = 0;
  std::size_t count = 0;

  bool one(boost::system::error_code& ec) {
    if (++count <= max) return true;
    ec = json::error::exception;  // any error ends the parse; `count` says why
    return false;
  }
  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code& ec) { return one(ec); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code& ec) { return one(ec); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return true; }
  bool on_string_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, std::size_t, boost::system::error_code& ec) { return one(ec); }
  bool on_key_part(json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_key(json::string_view, std::size_t, boost::system::error_code& ec) { return one(ec); }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t, json::string_view, boost::system::error_code& ec) { return one(ec); }
  bool on_uint64(std::uint64_t, json::string_view, boost::system::error_code& ec) { return one(ec); }
  bool on_double(double, json::string_view, boost::system::error_code& ec) { return one(ec); }
  bool on_bool(bool, boost::system::error_code& ec) { return one(ec); }
  bool on_null(boost::system::error_code& ec) { return one(ec); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }
};

// True when `body` holds more than `max` JSON values (a body that is not
// JSON is left to the real parse, which says where it breaks).
bool too_many_values(std::string_view body, std::size_t max) {
  json::basic_parser<value_counter> counter(json::parse_options{});
  counter.handler().max = max;
  boost::system::error_code ec;
  counter.write_some(false, body.data(), body.size(), ec);
  return counter.handler().count > max;
}

// Parses `body` into an object of at most `max_values` values; on failure fills `bad`.
std::optional<json::value> parse_object(std::string_view body, std::size_t max_values, json::storage_ptr sp,
                                        bad_request& bad) {
  if (too_many_values(body, max_values)) {
    bad.status = 413;
    bad.message = fmt::format("body holds more than {} JSON values", max_values);
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(body, ec, std::move(sp));
  if (ec) {
    bad.message = fmt::format("body is not valid JSON: {}", ec.message());
    return std::nullopt;
  }
  if (!v.is_object()) {
    bad.message = "body is not a JSON object";
    return std::nullopt;
  }
  if (!finite_numbers(v)) {
    bad.message = "body holds a number out of range (beyond a double)";
    return std::nullopt;
  }
  return v;
}

// protocol, gateway, stream and sent: common to both endpoints.
bool read_envelope(const json::object& o, std::string& gateway, std::string& stream, clock_stamp& sent,
                   bad_request& bad) {
  const auto protocol = as_int(o.if_contains("protocol"));
  if (!protocol) {
    bad.message = "protocol missing or not an integer";
    return false;
  }
  if (*protocol != 1) {
    bad.message = fmt::format("unsupported protocol version {} (this receiver speaks 1)", *protocol);
    return false;
  }
  const auto* g = as_string(o.if_contains("gateway"));
  if (!g || !valid_gateway(*g)) {
    bad.message = "gateway missing or not an id ([A-Za-z0-9._-], at most 128 bytes)";
    return false;
  }
  gateway.assign(g->data(), g->size());
  bad.gateway = gateway;
  const auto* s = as_string(o.if_contains("stream"));
  if (!s || !valid_stream(*s)) {
    bad.message = "stream missing or not 32 hex digits";
    return false;
  }
  stream.assign(s->data(), s->size());
  const auto* sent_v = o.if_contains("sent");
  if (!sent_v || !sent_v->is_object()) {
    bad.message = "sent missing or not an object";
    return false;
  }
  if (auto why = read_stamp(sent_v->get_object(), sent); !why.empty()) {
    bad.message = "sent: " + why;
    return false;
  }
  return true;
}

}  // namespace

batch_outcome parse_batch(std::string_view body) {
  // One arena for the whole document: parsing thousands of small objects
  // then costs a few large allocations.
  json::monotonic_resource arena;
  bad_request bad;
  auto doc = parse_object(body, max_batch_json_values, &arena, bad);
  if (!doc) return bad;
  const auto& o = doc->get_object();
  batch b;
  if (!read_envelope(o, b.gateway, b.stream, b.sent, bad)) return bad;
  const auto* records = o.if_contains("records");
  if (!records || !records->is_array()) {
    bad.message = "records missing or not an array";
    return bad;
  }
  const auto& list = records->get_array();
  if (list.empty()) {
    bad.message = "records is empty";
    return bad;
  }
  if (list.size() > max_records_per_batch) {
    bad.status = 413;
    bad.message = fmt::format("{} records in one batch (at most {})", list.size(), max_records_per_batch);
    return bad;
  }
  invalid_records invalid{.gateway = b.gateway, .rejected = {}};
  b.records.reserve(list.size());
  std::int64_t previous = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object()) {
      bad.message = fmt::format("records[{}] is not an object", i);
      return bad;
    }
    const auto& r = list[i].get_object();
    const auto seq = as_int(r.if_contains("seq"));
    if (!seq) {
      // Without a seq the gateway could not tell which record we mean.
      bad.message = fmt::format("records[{}]: seq missing or not an integer", i);
      return bad;
    }
    record_row row;
    row.seq = *seq;
    std::string why;
    if (*seq < 1) why = "seq is not >= 1";
    else if (*seq <= previous) why = fmt::format("seq not increasing (follows {})", previous);
    else why = check_record(r, row);
    previous = std::max(previous, *seq);
    if (!why.empty()) {
      invalid.rejected.push_back({*seq, std::move(why)});
      continue;
    }
    if (invalid.rejected.empty()) b.records.push_back(std::move(row));
  }
  if (!invalid.rejected.empty()) return invalid;
  return b;
}

heartbeat_outcome parse_heartbeat(std::string_view body) {
  bad_request bad;
  auto doc = parse_object(body, max_heartbeat_json_values, {}, bad);
  if (!doc) return bad;
  heartbeat h;
  if (!read_envelope(doc->get_object(), h.gateway, h.stream, h.sent, bad)) return bad;
  h.json = json::serialize(*doc);
  if (h.json.size() > max_heartbeat_stored_bytes) {
    bad.status = 413;
    bad.message = fmt::format("heartbeat larger than {} bytes", max_heartbeat_stored_bytes);
    return bad;
  }
  return h;
}

}  // namespace ravao::receiver
