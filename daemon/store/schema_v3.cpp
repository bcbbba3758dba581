// Schema 3: personal data sealed at the edge (docs/privacy.md).
//
// Schema 2 kept visitors' ID numbers, names and card fields in clear
// (records.person_id / person_name / person_json, visits.person_id /
// person_name), full names in pre-printed slip jobs and hex previews of
// refused scans. This migration, in one transaction:
//   1. refuses (changing nothing) when records hold clear personal data and
//      no provincial key was given: that data is what the province needs;
//   2. draws the store's stream id and person hash key, sets acked_seq 0;
//   3. seals each record's personal data (one sealed JSON per record),
//      replaces the ID number by its keyed hash and the name and ID by their
//      masks, and moves the seq an undo names / a slip's sequence to `ref`;
//   4. hashes and masks the visits; masks pre-printed names; turns refused
//      scans' previews into shapes (text::shape);
//   5. drops the clear columns, adds dead_letters and the indexes;
//   6. sets meta.scrub_pending, so migrate() then runs VACUUM and truncates
//      the WAL: no clear copy survives in free pages or the WAL.

#include <boost/json.hpp>
#include <fmt/format.h>

#include <map>

#include "common/text.hpp"
#include "store/schema.hpp"
#include "common/sqlite.hpp"
#include "store/store_connection.hpp"

namespace ravao::schema {
namespace {

// Schema 2 records whose clear columns hold something personal.
constexpr std::string_view personal_v2 =
    "(COALESCE(person_id,'') <> '' OR COALESCE(person_name,'') <> '' OR COALESCE(person_json,'') <> '' OR "
    "(COALESCE(payload,'') <> '' AND type NOT IN ('undo','slip_issued','declaration') AND "
    "COALESCE(payload_kind,'') NOT IN ('ravao_command','ravao_slip')))";

std::string hex_of(std::span<const unsigned char> bytes) {
  std::string out;
  for (const unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

result<std::int64_t> count(sqlite3* db, std::string_view q) {
  auto st = sql::statement::prepare(db, q);
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t n = *row ? st->int64(0) : 0;
  st->reset();
  return n;
}

// A slip number ("000174", "00017-4", "RAVAO:SLIP:000174") -> its sequence
// (the digits before the check digit). Schema 2 wrote only numbers whose
// check digit held.
std::optional<std::int64_t> slip_sequence_of(std::string_view number) {
  if (number.starts_with("RAVAO:SLIP:")) number.remove_prefix(11);
  std::string digits;
  for (const char c : number) {
    if (c >= '0' && c <= '9') digits += c;
    else if (c != '-' && c != ' ') return std::nullopt;
  }
  if (digits.size() < 2 || digits.size() > 16) return std::nullopt;
  digits.pop_back();
  return std::stoll(digits);
}

// Schema 2's hex preview ("1b3?3?41": digits hidden as "3?") back to bytes.
std::string unhex_preview(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    if (hex[i] == '3' && hex[i + 1] == '?') {
      out += '9';
      continue;
    }
    const auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

struct v2_record {
  std::int64_t seq = 0;
  std::string type, kind, person_id, person_name, person_json, payload;
};

// What schema 3 keeps of one schema-2 record.
struct v3_record {
  std::optional<std::string> key, name_masked, id_masked, sealed, payload;
  std::optional<std::int64_t> ref;
};

v3_record convert(const v2_record& r, const std::array<unsigned char, seal::key_bytes>& hash_key,
                  const std::optional<seal::public_key>& province_key,
                  const std::map<std::int64_t, std::int64_t>& slip_of_record) {
  v3_record out;
  out.payload = r.payload;
  if (!r.person_id.empty()) {
    out.key = seal::keyed_hash(hash_key, r.person_id);
    out.id_masked = text::mask_id(r.person_id);
  }
  if (!r.person_name.empty()) out.name_masked = text::mask_name(r.person_name);
  std::string plain;
  if (r.type == "declaration") {
    plain = declaration_plaintext(r.person_id, r.person_name, r.person_json);
    out.ref = slip_sequence_of(r.payload);
  } else if (r.type == "undo") {
    out.ref = std::strtoll(r.payload.c_str(), nullptr, 10);
    out.payload.reset();
  } else {
    if (r.type == "slip_issued" || r.type == "slip_returned") {
      if (auto it = slip_of_record.find(r.seq); it != slip_of_record.end()) out.ref = it->second;
      else out.ref = slip_sequence_of(r.payload);
    }
    boost::json::object o;
    if (!r.person_id.empty()) o["id_number"] = r.person_id;
    if (!r.person_name.empty()) o["name"] = r.person_name;
    if (!r.person_json.empty()) {
      boost::system::error_code ec;
      auto v = boost::json::parse(r.person_json, ec);
      if (!ec && v.is_object()) {
        for (const auto& [k, x] : v.as_object()) o[k] = x;
      } else {
        o["person_text"] = r.person_json;
      }
    }
    const bool personal_payload =
        !r.payload.empty() && r.kind != "ravao_command" && r.kind != "ravao_slip" && r.type != "slip_issued";
    if (personal_payload) {
      o["payload"] = r.payload;
      out.payload.reset();
    }
    if (!o.empty()) plain = boost::json::serialize(o);
  }
  if (!plain.empty() && plain != "{}" && province_key) out.sealed = seal::seal(*province_key, plain);
  if (out.payload && out.payload->empty()) out.payload.reset();
  return out;
}

result<void> rewrite_records(sqlite3* db, const std::array<unsigned char, seal::key_bytes>& hash_key,
                             const std::optional<seal::public_key>& province_key) {
  std::map<std::int64_t, std::int64_t> slip_of_record;
  {
    auto st = sql::statement::prepare(db, "SELECT issued_seq, sequence FROM slips UNION ALL "
                                          "SELECT returned_seq, sequence FROM slips WHERE returned_seq IS NOT NULL");
    if (!st) return std::unexpected(st.error());
    while (true) {
      auto row = st->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      slip_of_record[st->int64(0)] = st->int64(1);
    }
  }
  auto read = sql::statement::prepare(db, fmt::format(
      "SELECT seq, type, COALESCE(payload_kind,''), COALESCE(person_id,''), COALESCE(person_name,''), "
      "COALESCE(person_json,''), COALESCE(payload,'') FROM records WHERE seq > ?1 AND ({} OR type IN "
      "('undo','slip_issued','slip_returned','declaration')) ORDER BY seq LIMIT 500", personal_v2));
  if (!read) return std::unexpected(read.error());
  auto write = sql::statement::prepare(db,
      "UPDATE records SET person_key=?2, name_masked=?3, id_masked=?4, sealed=?5, payload=?6, ref=?7, "
      "person_id=NULL, person_name=NULL, person_json=NULL WHERE seq=?1");
  if (!write) return std::unexpected(write.error());
  std::int64_t after = 0;
  while (true) {
    // In chunks: rows are not updated under a running SELECT.
    std::vector<v2_record> chunk;
    read->bind(1, after);
    while (true) {
      auto row = read->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      chunk.push_back({read->int64(0), read->text(1), read->text(2), read->text(3), read->text(4), read->text(5),
                       read->text(6)});
    }
    if (chunk.empty()) return {};
    for (const auto& r : chunk) {
      const v3_record v = convert(r, hash_key, province_key, slip_of_record);
      const auto text_or_null = [&](int i, const std::optional<std::string>& x) {
        if (x) write->bind(i, std::string_view(*x)); else write->bind(i, std::nullopt);
      };
      write->bind(1, r.seq);
      text_or_null(2, v.key);
      text_or_null(3, v.name_masked);
      text_or_null(4, v.id_masked);
      write->bind_blob_or_null(5, v.sealed ? std::string_view(*v.sealed) : std::string_view{});
      text_or_null(6, v.payload);
      write->bind_opt(7, v.ref);
      if (auto x = write->run(); !x) return x;
      after = r.seq;
    }
  }
}

result<void> rewrite_visits(sqlite3* db, const std::array<unsigned char, seal::key_bytes>& hash_key) {
  auto read = sql::statement::prepare(db,
      "SELECT id, person_id, COALESCE(person_name,'') FROM visits WHERE id > ?1 ORDER BY id LIMIT 500");
  if (!read) return std::unexpected(read.error());
  auto write = sql::statement::prepare(db,
      "UPDATE visits SET person_key=?2, name_masked=?3, id_masked=?4 WHERE id=?1");
  if (!write) return std::unexpected(write.error());
  std::int64_t after = 0;
  while (true) {
    std::vector<std::tuple<std::int64_t, std::string, std::string>> chunk;
    read->bind(1, after);
    while (true) {
      auto row = read->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      chunk.emplace_back(read->int64(0), read->text(1), read->text(2));
    }
    if (chunk.empty()) return {};
    for (const auto& [id, person_id, name] : chunk) {
      write->bind(1, id).bind(2, seal::keyed_hash(hash_key, person_id)).bind_text_or_null(3, text::mask_name(name))
          .bind(4, text::mask_id(person_id));
      if (auto x = write->run(); !x) return x;
      after = id;
    }
  }
}

result<void> rewrite_local_samples(sqlite3* db) {
  {
    std::vector<std::pair<std::int64_t, std::string>> rows;
    auto read = sql::statement::prepare(db, "SELECT id, preview FROM rejected_scans");
    if (!read) return std::unexpected(read.error());
    while (true) {
      auto row = read->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      rows.emplace_back(read->int64(0), text::shape(unhex_preview(read->text(1))));
    }
    auto write = sql::statement::prepare(db, "UPDATE rejected_scans SET preview=?2 WHERE id=?1");
    if (!write) return std::unexpected(write.error());
    for (const auto& [id, shape] : rows)
      if (auto x = write->bind(1, id).bind(2, shape).run(); !x) return x;
  }
  // Print jobs as schema 2 stored them, edited as plain JSON on purpose, not
  // through slip::decode/encode (slip/job_content.hpp): the clear name must
  // be masked even in content the decoder would refuse, and nothing else in
  // it may change.
  std::vector<std::pair<std::int64_t, std::string>> jobs;
  auto read = sql::statement::prepare(db,
      "SELECT id, content FROM print_jobs WHERE content LIKE '%\"person_name\"%'");
  if (!read) return std::unexpected(read.error());
  while (true) {
    auto row = read->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    boost::system::error_code ec;
    auto v = boost::json::parse(read->text(1), ec);
    if (ec || !v.is_object()) continue;
    auto& o = v.as_object();
    if (auto* name = o.if_contains("person_name"); name && name->is_string())
      *name = text::mask_name(std::string_view(name->as_string()));
    jobs.emplace_back(read->int64(0), boost::json::serialize(o));
  }
  auto write = sql::statement::prepare(db, "UPDATE print_jobs SET content=?2 WHERE id=?1");
  if (!write) return std::unexpected(write.error());
  for (const auto& [id, content] : jobs)
    if (auto x = write->bind(1, id).bind(2, content).run(); !x) return x;
  return {};
}

}  // namespace

result<void> migrate_to_3(sqlite3* db, const migration_options& options) {
  auto personal = count(db, fmt::format("SELECT COUNT(*) FROM records WHERE {}", personal_v2));
  if (!personal) return std::unexpected(personal.error());
  if (*personal > 0 && !options.province_key) {
    return fail(errc::config_invalid,
                fmt::format("the store holds clear personal data in {} records written by an older ravaod; it "
                            "must be sealed to the provincial public key before this version uses the store. Set "
                            "[sync] public_key (the province's \"ravao-pk1:...\" key) and start ravaod again; "
                            "nothing was changed",
                            *personal));
  }
  auto had_rows = count(db, "SELECT (SELECT COUNT(*) FROM records) + (SELECT COUNT(*) FROM visits) + "
                            "(SELECT COUNT(*) FROM rejected_scans) + (SELECT COUNT(*) FROM print_jobs)");
  if (!had_rows) return std::unexpected(had_rows.error());

  const auto hash_key = seal::random_hash_key();
  // 16 random bytes for the stream id (random_hash_key is libsodium's random source).
  const auto stream_bytes = seal::random_hash_key();
  auto meta = sql::statement::prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)");
  if (!meta) return std::unexpected(meta.error());
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"stream", hex_of(std::span(stream_bytes).first(16))},
                             {"person_hash_key", hex_of(hash_key)},
                             {"acked_seq", "0"}}) {
    if (auto x = meta->bind(1, k).bind(2, v).run(); !x) return x;
  }
  if (auto x = sql::exec(db, R"sql(
ALTER TABLE records ADD COLUMN person_key TEXT;   -- keyed hash of the ID number
ALTER TABLE records ADD COLUMN name_masked TEXT;  -- NGUYỄN V. A.
ALTER TABLE records ADD COLUMN id_masked TEXT;    -- 0010******45
ALTER TABLE records ADD COLUMN sealed BLOB;       -- crypto_box_seal(JSON, provincial key)
ALTER TABLE records ADD COLUMN ref INTEGER;       -- undo: the seq undone; slip records: the slip's sequence
DROP INDEX visits_open;
ALTER TABLE visits ADD COLUMN person_key TEXT;
ALTER TABLE visits ADD COLUMN name_masked TEXT;
ALTER TABLE visits ADD COLUMN id_masked TEXT;
)sql"); !x)
    return x;
  if (auto x = rewrite_records(db, hash_key, options.province_key); !x) return x;
  if (auto x = rewrite_visits(db, hash_key); !x) return x;
  if (auto x = rewrite_local_samples(db); !x) return x;
  if (auto x = sql::exec(db, R"sql(
ALTER TABLE records DROP COLUMN person_id;
ALTER TABLE records DROP COLUMN person_name;
ALTER TABLE records DROP COLUMN person_json;
ALTER TABLE visits DROP COLUMN person_id;
ALTER TABLE visits DROP COLUMN person_name;
CREATE INDEX visits_open ON visits(person_key) WHERE closed_seq IS NULL;
CREATE INDEX records_wall ON records(wall_ms);
CREATE TABLE dead_letters (
  seq     INTEGER PRIMARY KEY,  -- a record the server refused (kept, never deleted silently)
  reason  TEXT NOT NULL,
  wall_ms INTEGER NOT NULL
);
)sql"); !x)
    return x;
  if (*had_rows > 0) {
    if (auto x = sql::exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('scrub_pending', '1')"); !x) return x;
  }
  return {};
}

}  // namespace ravao::schema
