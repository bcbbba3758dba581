#pragma once
// What a print job says: one typed structure per job kind, and the one
// encoder/decoder of the JSON kept in print_jobs.content (docs/slips.md,
// "Print jobs"). The store builds jobs with it, the printer worker and
// ravaoctl's preview read them back with it, and slip_layout.hpp draws these
// same structures. No drawing here (no FreeType): the store and the fuzz
// build link it as the small library ravao_job_content.
//
// Stored content is untrusted (an older ravaod wrote it, or the file was
// damaged): decode() never throws and says what is wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/error.hpp"
#include "slip/form_definition.hpp"

namespace ravao::slip {

// The paper declaration slip ("slip").
struct slip_content {
  std::string site_name;       // "Bưu điện Văn hóa xã Tân Phú"
  std::string counter_name;    // "Quầy 1"
  std::string issued_at;       // local date and time as printed, "23/11/2026 14:05"; may be empty (clock unknown)
  std::string slip_number;     // format_slip_number(); the QR carries slip_qr_text(slip_number). JSON "number"
  // Pre-printed when the slip follows a CCCD scan at the counter and the
  // configuration allows it; the ID is already masked ("**********45").
  std::optional<std::string> person_name;
  std::optional<std::string> person_id_masked;
  int retention_days = 30;     // stated in the consent sentence
  bool reprint = false;        // "BẢN IN LẠI" (reprint) banner
  // The form printed: the configured definition when the slip was issued.
  // Absent (jobs of older versions): default_form().
  std::optional<form_definition> form;
};

// A counter's command card ("card").
struct card_content {
  std::string site_name;
  std::string counter_id;    // goes into the command QR codes: RAVAO:CMD:<VERB>:<counter_id>
  std::string counter_name;
  // The counter console (ravao-web) as it last registered (web.register),
  // printed at the foot of the card so staff can check the certificate.
  // JSON "console_url", "console_fingerprint"; absent when unknown.
  std::optional<std::string> console_url = std::nullopt;
  std::optional<std::string> console_fingerprint = std::nullopt;
};

// A printer test page ("test").
struct test_page_content {
  std::string site_name;
  std::string printer_id;
  std::string profile_name;
  std::string printed_at;   // local date and time; may be empty
};

// The site's check-in QR poster ("poster"): the code the site registered
// with the national platform, for visitors to scan with their phones.
struct poster_content {
  std::string site_name;
  std::string qr_text;  // [site] checkin_qr
};

// The visitor's printed copy of a proxy declaration ("declaration").
// What the store keeps (print_jobs.content) is the receipt without the
// answers: the answers are personal data the gateway keeps only sealed,
// so they travel to the printer in memory only (print_service), and a copy
// printed after a restart says they are no longer here.
struct declaration_copy_content {
  std::string site_name;
  std::string counter_name;
  std::string declared_at;       // local date and time, as on slips; may be empty (clock unknown)
  std::string slip_number;       // the transcribed slip's number, formatted; may be empty
  std::int64_t record = 0;       // the declaration record's seq
  std::string person_name_masked;
  std::string person_id_masked;
  std::string actor;             // who declared ("web:alice")
  // (label, value) in the form's order, as drawn; empty in the stored copy.
  std::vector<std::pair<std::string, std::string>> answers;
};

using job_content =
    std::variant<slip_content, card_content, test_page_content, poster_content, declaration_copy_content>;

// The job's kind as stored in print_jobs.kind: "slip", "card", "test",
// "poster" or "declaration".
std::string_view kind_of(const job_content& c);

// The JSON object stored in print_jobs.content, in the format every ravaod
// version wrote (field names of docs/slips.md; optional fields only when set).
std::string encode(const job_content& c);

// Reads stored content of a job of `kind`. errc::invalid_argument, with the
// field at fault, for an unknown kind, content that is not a JSON object, a
// field of the wrong type, or a slip without a number. Missing text fields
// are empty (as older versions printed them); unknown fields are ignored.
result<job_content> decode(std::string_view kind, std::string_view json);

}  // namespace ravao::slip
