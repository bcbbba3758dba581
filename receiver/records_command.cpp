// ravao-receiver records: stored records, sealed fields opened with the key.

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/store.hpp"
#include "receiver/report.hpp"
#include "common/seal.hpp"
#include "common/text.hpp"

namespace ravao::receiver {
namespace json = boost::json;

namespace {

constexpr option_spec specs[] = {{"db"}, {"key"}, {"gateway"}, {"stream"}, {"actor"}, {"json", false}, {"limit"}};

constexpr const char* help = R"(usage: ravao-receiver records --db FILE|URL [--key FILE] [--gateway G] [--stream S]
                              [--actor A] [--json] [--limit N]

Lists stored records in (gateway, stream, seq) order: time (derived_wall_ms:
the true time, "unknown" when the gateway's clock was never synchronised in
that boot), type, counter, the masked name and ID number, and the actor:
who asked for the record at the gateway (web:alice, a counter console
user; unix:admin, a ravaoctl user), for records a person's action wrote;
`action` records (a reprint, a command card, a test page, the poster) also
show the command and the printer. Sealed personal
data stays sealed unless --key is given. Stored and opened values are shown
escaped: control characters, bidirectional controls and bytes that are not
UTF-8 as \xNN (a backslash too), so that no stored text acts on the terminal.

  --db FILE|URL    the receiver database (serve --db)
  --key FILE       the provincial secret key (keygen --out): opens each sealed
                   field and shows its contents. Personal data: handle the
                   output accordingly.
  --gateway G      only this gateway's records
  --stream S       only this stream's records
  --actor A        only the records this actor asked for (e.g. web:alice)
  --json           one JSON array: each record as received, plus gateway,
                   stream, derived_wall_ms, and "opened" (with --key) instead of
                   "sealed"; C1 and bidi controls escaped as \uXXXX
  --limit N        at most N records (default 1000; 0: all)
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver records: %s\n", message.c_str());
  return 1;
}

// The opened plaintext: JSON (as the gateway sealed it) re-serialized and
// escaped; anything else, escaped as text.
std::string shown_opened(const std::string& plain) {
  boost::system::error_code ec;
  const json::value v = json::parse(plain, ec);
  return ec ? shown(plain) : text::json_for_terminal(json::serialize(v));
}

}  // namespace

int records_command(std::span<char*> args) {
  const options opts(specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  const std::string db_path = opts.required("db");
  const auto limit = opts.integer("limit", 1000, 0, INT64_MAX);
  const bool as_json = opts.flag("json");
  std::optional<seal::key_pair> keys;
  if (auto key_path = opts.get("key")) {
    std::ifstream in(*key_path);
    if (!in) return failure(fmt::format("--key {}: cannot read", *key_path));
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = seal::parse_key_pair(text.str());
    if (!parsed) return failure(fmt::format("--key {}: {}", *key_path, parsed.error().message()));
    keys = *parsed;
  }
  auto db = open_store(db_path, store_mode::read_only);
  if (!db) return failure(db.error().message());
  auto rows = (*db)->records({opts.get("gateway"), opts.get("stream"), opts.get("actor"), limit});
  if (!rows) return failure(rows.error().message());

  json::array all;
  for (const auto& row : *rows) {
    boost::system::error_code ec;
    json::value v = json::parse(row.json, ec);
    if (ec || !v.is_object())
      return failure(fmt::format("record {} of {} is not a JSON object", row.seq, shown(row.gateway)));
    json::object& r = v.as_object();
    std::optional<std::string> opened;
    std::string open_error;
    std::size_t sealed_bytes = 0;
    if (const auto* sealed = r.if_contains("sealed"); sealed && sealed->is_string()) {
      sealed_bytes = sealed->get_string().size();
      if (keys) {
        auto box = seal::unbase64(sealed->get_string());
        auto plain = box ? seal::open(*keys, *box) : std::unexpected(box.error());
        if (plain) opened = *plain;
        else open_error = plain.error().message();
      }
      r.erase("sealed");
    }
    const auto& derived = row.derived_wall_ms;
    if (as_json) {
      json::object out;
      out["gateway"] = row.gateway;
      out["stream"] = row.stream;
      out["derived_wall_ms"] = derived ? json::value(*derived) : json::value(nullptr);
      for (auto& [k, val] : r) out[k] = std::move(val);
      if (sealed_bytes > 0) {
        out["sealed_bytes"] = sealed_bytes;
        if (opened) {
          json::value inner = json::parse(*opened, ec);
          out["opened"] = ec ? json::value(*opened) : std::move(inner);
        } else if (!open_error.empty()) {
          out["open_error"] = open_error;
        }
      }
      all.push_back(std::move(out));
      continue;
    }
    // Every stored or opened value is escaped: anyone can seal bytes to the
    // public key, and a gateway's fields are its own, so control and bidi
    // characters must not reach the operator's terminal.
    const auto field = [&](std::string_view k) -> std::string {
      const auto* f = r.if_contains(k);
      if (!f) return {};
      if (f->is_string()) return fmt::format(" {}={}", k, shown(f->get_string()));
      return fmt::format(" {}={}", k, text::json_for_terminal(json::serialize(*f)));
    };
    std::string line = fmt::format("{} {} {:>8} {} {}", shown(row.gateway), shown(row.stream), row.seq,
                                   iso_utc(derived), field("type").substr(6));
    for (const auto k :
         {"counter", "visit", "kind", "close_reason", "ref", "name_masked", "id_masked", "payload", "actor", "action",
          "printer"}) {
      line += field(k);
    }
    if (sealed_bytes > 0) {
      if (opened) line += fmt::format("\n    opened: {}", shown_opened(*opened));
      else if (!open_error.empty()) line += fmt::format("\n    cannot open: {}", shown(open_error));
      else line += fmt::format(" sealed=({} bytes, give --key to open)", sealed_bytes);
    }
    std::printf("%s\n", line.c_str());
  }
  if (as_json) std::printf("%s\n", text::json_for_terminal(json::serialize(all)).c_str());
  return 0;
}

}  // namespace ravao::receiver
