-- A schema-2 store as ravaod 0.1 (before sealing) wrote it, with clear
-- personal data in every place schema 2 kept some. Loaded by
-- sealing_store_test.cpp; the schema text is migrations 1 and 2 verbatim.

CREATE TABLE records (
  seq          INTEGER PRIMARY KEY,  -- per-gateway, gap-free, increasing
  type         TEXT NOT NULL,        -- visit_opened | visit_closed | scan | command
  counter_id   TEXT NOT NULL,
  visit_id     INTEGER,
  payload_kind TEXT,                 -- empty for automatic closes
  person_id    TEXT,                 -- ID number (identity key)
  person_name  TEXT,
  person_json  TEXT,                 -- birth date, sex, address, old ID, issue date
  payload      TEXT,                 -- payload text for kinds without identity
  symbology    TEXT,
  flags        TEXT,
  close_reason TEXT,
  wall_ms      INTEGER NOT NULL,
  boot_id      TEXT NOT NULL,
  boottime_ns  INTEGER NOT NULL,
  clock_synced INTEGER NOT NULL
);
CREATE TABLE visits (
  id                 INTEGER PRIMARY KEY,
  person_id          TEXT NOT NULL,
  person_name        TEXT,
  counter_id         TEXT NOT NULL,
  opened_seq         INTEGER,
  opened_wall_ms     INTEGER,
  opened_synced      INTEGER NOT NULL DEFAULT 0,
  last_wall_ms       INTEGER NOT NULL,
  last_boot_id       TEXT NOT NULL,
  last_boottime_ns   INTEGER NOT NULL,
  closed_seq         INTEGER,
  closed_wall_ms     INTEGER,
  closed_counter_id  TEXT,
  close_reason       TEXT,
  duplicates         INTEGER NOT NULL DEFAULT 0,
  rescans            INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visits_open ON visits(person_id) WHERE closed_seq IS NULL;
CREATE TABLE rejected_scans (
  id          INTEGER PRIMARY KEY,
  counter_id  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  length      INTEGER NOT NULL,
  preview     TEXT NOT NULL,
  wall_ms     INTEGER NOT NULL,
  boot_id     TEXT NOT NULL,
  boottime_ns INTEGER NOT NULL
);
CREATE TABLE counter_tallies (
  counter_id TEXT PRIMARY KEY,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE slips (
  sequence       INTEGER PRIMARY KEY,  -- the printed number is this plus a check digit; never reused
  counter_id     TEXT NOT NULL,
  visit_id       INTEGER,              -- the visit it was issued for, when one was scanned just before
  issued_seq     INTEGER NOT NULL,     -- its slip_issued record
  issued_wall_ms INTEGER NOT NULL,
  returned_seq   INTEGER,              -- its slip_returned record, once handed back
  declared_seq   INTEGER               -- the latest declaration record made for it
);
CREATE TABLE print_jobs (
  id              INTEGER PRIMARY KEY,
  printer_id      TEXT NOT NULL,
  counter_id      TEXT NOT NULL,
  kind            TEXT NOT NULL,       -- slip | card | test
  slip_sequence   INTEGER,
  content         TEXT NOT NULL,       -- JSON: what to draw (docs/slips.md)
  state           TEXT NOT NULL,       -- queued | printing | printed | failed | cancelled
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  created_wall_ms INTEGER NOT NULL,
  done_wall_ms    INTEGER
);
CREATE INDEX print_jobs_pending ON print_jobs(printer_id, id) WHERE state IN ('queued', 'printing');
INSERT INTO meta(key, value) VALUES ('next_slip_sequence', '1');

INSERT INTO records(seq,type,counter_id,visit_id,payload_kind,person_id,person_name,person_json,payload,symbology,flags,close_reason,wall_ms,boot_id,boottime_ns,clock_synced) VALUES
 (1,'visit_opened','c1',1,'cccd','001090012345','Nguyễn Văn An','{"old_id_number":"123456789","birth_date":"1990-01-01","sex":"male","address":"Thôn 3, Xã Ia Kênh, Gia Lai","issue_date":"2021-08-15"}',NULL,']Q1',NULL,NULL,1763880000000,'old-boot',1000,1),
 (2,'visit_closed','c1',1,'cccd','001090012345','Nguyễn Văn An',NULL,NULL,']Q1',NULL,'scan',1763880060000,'old-boot',2000,1),
 (3,'scan','c1',NULL,'opaque',NULL,NULL,NULL,'079203004545|Lê Thị Hoa|0912345678',NULL,'unknown_format',NULL,1763880070000,'old-boot',3000,1),
 (4,'command','c1',NULL,'ravao_command',NULL,NULL,NULL,'RAVAO:CMD:PRINT_SLIP',NULL,NULL,NULL,1763880080000,'old-boot',4000,1),
 (5,'slip_issued','c1',NULL,'ravao_slip',NULL,NULL,NULL,'RAVAO:SLIP:000014',NULL,NULL,NULL,1763880081000,'old-boot',5000,1),
 (6,'visit_opened','c2',2,'cccd','079190000777','Phạm Thị Thu','{"sex":"female","address":"Phường 1, Quận 3"}',NULL,NULL,NULL,NULL,1763880090000,'old-boot',6000,1),
 (7,'undo','c1',NULL,'ravao_command',NULL,NULL,NULL,'3',NULL,NULL,NULL,1763880091000,'old-boot',7000,1),
 (8,'declaration','c1',NULL,'declaration','001090012345','Nguyễn Văn An','{"name":"Nguyễn Văn An","birth":"1990-01-01","sex":"male","nationality":"Việt Nam","id":"001090012345","phone":"0987654321","address":"Thôn 3, Xã Ia Kênh, Gia Lai","symptoms":{"fever":"no"},"contact":"no","travel":"no","date":"2025-11-23"}','000014',NULL,'proxy_declared',NULL,1763880092000,'old-boot',8000,1),
 (9,'slip_returned','c1',NULL,'ravao_slip',NULL,NULL,NULL,'RAVAO:SLIP:000014',NULL,NULL,NULL,1763880093000,'old-boot',9000,1);
INSERT INTO visits(id,person_id,person_name,counter_id,opened_seq,opened_wall_ms,opened_synced,last_wall_ms,last_boot_id,last_boottime_ns,closed_seq,closed_wall_ms,closed_counter_id,close_reason) VALUES
 (1,'001090012345','Nguyễn Văn An','c1',1,1763880000000,1,1763880000000,'old-boot',1000,2,1763880060000,'c1','scan'),
 (2,'079190000777','Phạm Thị Thu','c2',6,1763880090000,1,1763880090000,'old-boot',6000,NULL,NULL,NULL,NULL);
INSERT INTO slips(sequence,counter_id,visit_id,issued_seq,issued_wall_ms,returned_seq,declared_seq) VALUES (1,'c1',NULL,5,1763880081000,9,8);
INSERT INTO print_jobs(printer_id,counter_id,kind,slip_sequence,content,state,created_wall_ms) VALUES
 ('p1','c1','slip',1,'{"number":"000014","person_name":"Nguyễn Văn An","person_id_masked":"0010******45"}','printed',1763880081000);
INSERT INTO rejected_scans(counter_id,reason,length,preview,wall_ms,boot_id,boottime_ns) VALUES
 ('c1','nul_byte',36,'3?3?3?3?3?3?3?3?3?3?3?3?7c7c4e677579e1bb856e2056c4836e20416e7c3?',1763880095000,'old-boot',10000);
INSERT INTO counter_tallies(counter_id,duplicates,rejected) VALUES ('c1',0,1);
UPDATE meta SET value='2' WHERE key='next_slip_sequence';
PRAGMA user_version = 2;
