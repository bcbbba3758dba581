// How fast the store serialises records for upload (store_reader::read_upload_batch,
// docs/sync-protocol.md): a store of N sealed CCCD visits is read back in
// batches of 2,000 records / 1 MiB, as the uploader does after a week offline,
// on a read-only connection. In-process: no daemon. Goal: >= 200,000 records/s.
// Usage: upload_batch_bench [records=100000]

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "store/store.hpp"

namespace fs = std::filesystem;
using namespace ravao;

int main(int argc, char** argv) try {
  const int n = argc > 1 ? std::stoi(argv[1]) : 100'000;
  const fs::path dir = fs::temp_directory_path() / fmt::format("ravao-upload-bench-{}", ::getpid());
  fs::create_directories(dir);
  const auto keys = seal::generate();
  store_options o;
  o.province_key = keys.pub;
  {
    auto s = store_writer::open(dir / "ravao.db", o);
    if (!s) throw std::runtime_error(s.error().message());
    timestamp t{1'763'874'000'000, 1'000'000'000'000, true};
    visits_config v;
    v.duplicate_window = std::chrono::milliseconds(0);
    std::vector<scan_request> batch;
    for (int i = 0; i < n; ++i) {
      scan_request r;
      r.counter_id = fmt::format("quay-{}", i % 16);
      r.mode = counter_mode::entry;
      r.payload.kind = payload_kind::cccd;
      r.payload.who = person{};
      r.payload.who->id_number = fmt::format("{:012}", 1'090'000'000LL + i);
      r.payload.who->full_name = "Nguyễn Văn An";
      r.payload.who->birth_date = civil_date{1990, 1, 1};
      r.payload.who->sex_ = sex::male;
      r.payload.who->address = "Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai";
      r.payload.flags = {"nfd_input"};
      r.symbology = "]Q1";
      r.at = t;
      t.wall_ms += 1000;
      t.boottime_ns += 1'000'000'000;
      batch.push_back(std::move(r));
      if (batch.size() == 2048 || i + 1 == n) {
        if (auto x = s->apply(batch, {}, v); !x) throw std::runtime_error(x.error().message());
        batch.clear();
      }
    }
  }
  std::size_t records = 0, bytes = 0, batches = 0;
  std::int64_t after = 0;
  auto ro = store_reader::open(dir / "ravao.db");
  if (!ro) throw std::runtime_error(ro.error().message());
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    auto b = ro->read_upload_batch(after, 2000, 1 << 20);
    if (!b) throw std::runtime_error(b.error().message());
    if (b->seqs.empty()) break;
    records += b->seqs.size();
    bytes += b->records_json.size();
    ++batches;
    after = b->seqs.back();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = static_cast<double>(records) / secs;
  std::printf("upload_batch_bench: %d sealed visit records, batches of <= 2000 records / 1 MiB\n", n);
  std::printf("%-40s %14s\n", "measure", "value");
  std::printf("%-40s %14zu\n", "records read", records);
  std::printf("%-40s %14zu\n", "batches", batches);
  std::printf("%-40s %14.0f\n", "JSON bytes per record", static_cast<double>(bytes) / static_cast<double>(records));
  std::printf("%-40s %14.3f\n", "time (s)", secs);
  std::printf("%-40s %14.0f  (goal >= 200000: %s)\n", "records serialised per second", rate,
              rate >= 200'000 ? "met" : "MISSED");
  ro = std::unexpected(error{});  // closes the connection before the folder goes
  fs::remove_all(dir);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "upload_batch_bench: %s\n", e.what());
  return 1;
}
