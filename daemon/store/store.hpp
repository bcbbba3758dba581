#pragma once
// The durable store: one SQLite file in WAL mode with synchronous=FULL. A scan
// counts as accepted only once the transaction holding its records commits.
// Every record gets the next per-gateway sequence number (gap-free,
// increasing) in the same transaction: the future upload position.
//
// Two types, so that "the writing store only" is a type, not a runtime mode:
// store_writer (store/store_writer.hpp) creates, migrates and writes; ravaod
// gives it to the committer thread. store_reader (store/store_reader.hpp) is
// a read-only connection: ravaoctl's answers on the event loop, the print
// queue and the uploader each read through one. Requests and rows are plain
// values (store/requests.hpp, store/rows.hpp).
//
// Personal data (docs/privacy.md): a visitor's ID number, name, birth date,
// sex, address, old ID, issue date, phone, declaration answers and any
// scanned text that may be personal are sealed to the provincial public key
// (seal::window_sealer, sealed format 2) before they reach the disk. The store keeps in
// clear only a keyed hash of the ID number (`person_key`: visit matching) and
// masked display forms (`NGUYỄN V. A.`, `**********45`). Without a provincial
// key the personal fields are not kept at all (flag personal_data_not_kept).
// Nothing the store returns holds more than the masked forms.

#include "store/requests.hpp"
#include "store/rows.hpp"
#include "store/store_reader.hpp"
#include "store/store_writer.hpp"
