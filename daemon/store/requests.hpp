#pragma once
// What callers ask the writing store to record (store/store_writer.hpp):
// scans, refused frames, slips, print jobs, proxy declarations.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/clock.hpp"
#include "common/seal.hpp"
#include "common/seal_window.hpp"
#include "config/config.hpp"
#include "payload/classify.hpp"
#include "slip/job_content.hpp"

namespace ravao {

// What a counter's scanner delivered, classified, with the moment it arrived.
struct scan_request {
  std::string counter_id;
  counter_mode mode = counter_mode::toggle;
  classified_payload payload;
  std::string symbology;
  timestamp at;
  // ravao_slip payloads whose check digit holds: the slip's sequence number
  // (the caller validates; the classifier does not know check digits).
  std::optional<std::int64_t> slip_sequence;
  // seal_person(payload, sealer), made by the caller ahead of time (on the
  // event loop, not in the writer's transaction).
  // Empty: the writer seals itself when the store has a key.
  std::string sealed;
};

// Whether a payload carries personal data: an identity (cccd, personal_qr),
// or scanned text that is not one of ravao's own codes (a health-insurance
// card, an unrecognised code that may be a damaged ID card).
bool carries_personal_data(const classified_payload& p);
// The sealed form of a payload's personal data: sealer.seal(JSON) with
// the fields of docs/sync-protocol.md ("A record": id_number, name,
// birth_date, sex, address, old_id_number, issue_date, payload). Empty when
// the payload carries nothing personal.
std::string seal_person(const classified_payload& p, seal::window_sealer& sealer);
// The JSON seal_person seals (tests and the migration use it).
std::string person_plaintext(const classified_payload& p);

// A frame the scanner delivered that the frame policy refused.
struct rejection_request {
  std::string counter_id;
  std::string reason;
  std::size_t length = 0;
  std::string preview;
  timestamp at;
};


// Paper slips (docs/slips.md). A slip's sequence number is allocated here,
// in the transaction that records it; the printed number adds a check digit
// (slip/slip_number.hpp), formatted by the caller's `format_number`.
struct slip_request {
  std::string counter_id;
  std::string printer_id;  // the job goes there
  bool preprint_identity = false;  // copy the linked visit's name and masked ID into the content
  std::chrono::seconds link_window{120};
  // What to draw, without the number and identity (site, counter, time, ...):
  // the store sets slip_number, and person_name (the masked name, NGUYỄN V.
  // A.: the store holds nothing more) and person_id_masked when preprinting.
  slip::slip_content content;
  std::function<std::string(std::int64_t)> format_number;
  timestamp at;
  std::string actor;  // who asked through the control socket (records.actor); empty: a scanned card
};


struct job_request {
  std::string printer_id;
  std::string counter_id;
  slip::job_content content;  // a card, a test page, the poster (slips: issue_slip)
  timestamp at;
};

// A person asked for a print job through the control socket: the
// transaction that queues the job also writes an `action` record naming
// `action` (the control command: card.print, printer.test, poster.print)
// with `actor` (docs/sync-protocol.md, "Action records"). Empty: no record
// (a test page scanned from a command card, whose `command` record says so;
// a declaration's printed copy, which its declaration record covers).
struct person_action {
  std::string action;
  std::string actor;
};


// A proxy declaration (ravaoctl declare): one "declaration" record.
struct declaration_request {
  std::string counter_id;
  std::optional<std::int64_t> slip_sequence;  // the slip it transcribes, if any
  std::string slip_number;                    // its printed number, stored as the record's payload
  // The declared identity and answers: sealed with the answers (never stored
  // in clear); the record keeps the hash of the ID number and the masks.
  std::string person_id;    // declared ID number; may be empty
  std::string person_name;
  std::string declaration_json;  // slip::to_json(declaration)
  std::chrono::seconds link_window{120};
  timestamp at;
  std::string actor;  // who declared (records.actor)
};


}  // namespace ravao
