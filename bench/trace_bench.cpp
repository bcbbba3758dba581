// Contact tracing at a province's scale (docs/tracing.md): DAYS days of
// PER_DAY records (visits of two records each: the opening sealed under a
// window key as a gateway seals it, and the closing) at GATEWAYS sites,
// stored through the receiver's database code into a receiver store cached
// under DIR (generated once per size), then the time to index them all and
// the time of TRACES traces of random people over the whole period.
// In-process, one thread. With --db URL the store is that PostgreSQL
// database instead of a SQLite file (it must be empty the first time: the
// key and the "generated" mark are cached under DIR/pg-...); the trace file
// stays a SQLite file under DIR, as in production.
// Usage: trace_bench [--db postgresql://...] [days=14] [per_day=1000000] [gateways=2000] [traces=20] [dir=trace-bench]

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "receiver/sqlite_store.hpp"
#include "receiver/trace_index.hpp"
#include "receiver/trace_query.hpp"
#include "tests/support/trace_records.hpp"

using namespace ravao;
using namespace ravao::receiver;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
constexpr std::int64_t first_day = 1'796'058'000'000;  // 2026-12-01 00:00 +07:00

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string id_of(std::int64_t person) { return fmt::format("{:012}", 79'000'000'000 + person); }

// Visits: a person among `people`, a site among `gateways`, a counter among
// 4, a start between 07:00 and 17:00 local, 2 to 40 minutes.
void generate(const std::string& where, const seal::key_pair& keys, int days, std::int64_t per_day, int gateways,
              std::int64_t people) {
  auto db = open_store(where, store_mode::serve).value();
  // Generation only: a crash means generating again, not lost data.
  if (auto* lite = dynamic_cast<sqlite_store*>(db.get()))
    (void)sql::exec(lite->handle(), "PRAGMA synchronous=OFF; PRAGMA cache_size=-524288;");
  test::trace_records g(*db, keys.pub);
  std::mt19937_64 rng(42);
  std::vector<std::int64_t> next_visit(static_cast<std::size_t>(gateways), 1);
  const auto t0 = std::chrono::steady_clock::now();
  for (int d = 0; d < days; ++d) {
    const std::int64_t day = first_day + d * day_ms;
    for (std::int64_t i = 0; i < per_day / 2; ++i) {
      const auto site = static_cast<std::size_t>(rng() % static_cast<std::uint64_t>(gateways));
      const std::string gateway = fmt::format("gw-{:04}", site);
      const std::string counter = fmt::format("quay-{}", rng() % 4 + 1);
      const auto person = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(people));
      const std::int64_t in = day + 7 * 3600'000 + static_cast<std::int64_t>(rng() % (10 * 3600'000));
      const std::int64_t out = in + 120'000 + static_cast<std::int64_t>(rng() % (38 * 60'000));
      const std::int64_t visit = next_visit[site]++;
      g.opened(gateway, counter, visit, {id_of(person), fmt::format("Người {}", person), "0900000000"}, in);
      g.closed(gateway, counter, visit, out);
      if (g.records() % 200'000 == 0) {
        if (auto ok = g.flush(out + 60'000); !ok) throw std::runtime_error(ok.error().message());
      }
    }
    if (auto ok = g.flush(day + day_ms); !ok) throw std::runtime_error(ok.error().message());
    std::fprintf(stderr, "generated day %d: %lld records, %.0f s\n", d + 1, static_cast<long long>(g.records()),
                 seconds_since(t0));
  }
}

template <class T>
T must(ravao::result<T> r, const char* what) {
  if (!r) {
    std::fprintf(stderr, "%s: %s\n", what, r.error().message().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;  // PostgreSQL, when given
  if (argc > 2 && std::string_view(argv[1]) == "--db") {
    url = argv[2];
    argv += 2;
    argc -= 2;
  }
  const int days = argc > 1 ? std::stoi(argv[1]) : 14;
  const std::int64_t per_day = argc > 2 ? std::stoll(argv[2]) : 1'000'000;
  const int gateways = argc > 3 ? std::stoi(argv[3]) : 2000;
  const int traces = argc > 4 ? std::stoi(argv[4]) : 20;
  const fs::path root = fs::path(argc > 5 ? argv[5] : "trace-bench") /
                        fmt::format("{}{}x{}x{}", url.empty() ? "" : "pg-", days, per_day, gateways);
  const std::int64_t people = std::max<std::int64_t>(1000, per_day * days / 2 / 4);  // ~4 visits each
  fs::create_directories(root);
  const fs::path key = root / "province.key", done = root / "generated";
  const std::string db = url.empty() ? (root / "receiver.db").native() : url;

  seal::key_pair keys;
  if (!fs::exists(done)) {
    if (url.empty()) fs::remove(db);
    fs::remove(root / "trace.db");
    keys = seal::generate();
    std::ofstream(key) << seal::to_text(keys) << "\n";
    const auto t0 = std::chrono::steady_clock::now();
    generate(db, keys, days, per_day, gateways, people);
    std::printf("generated %lld records in %.1f s (cached in %s)\n", static_cast<long long>(per_day * days),
                seconds_since(t0), root.c_str());
    std::ofstream(done) << "ok\n";
  } else {
    std::stringstream text;
    text << std::ifstream(key).rdbuf();
    keys = seal::parse_key_pair(text.str()).value();
  }

  fs::remove(root / "trace.db");
  fs::remove(root / "trace.db-wal");
  auto source = must(open_trace_source(db), "store");
  auto index = must(trace_index::open(root / "trace.db", trace_keys::derive(keys)), "trace file");
  auto t0 = std::chrono::steady_clock::now();
  const auto stats = must(index->index(*source, keys), "index");
  const double index_s = seconds_since(t0);
  std::printf("index: %lld records read, %lld opened, %.1f s (%.1f us/record)\n", static_cast<long long>(stats.read),
              static_cast<long long>(stats.opened), index_s, index_s * 1e6 / static_cast<double>(stats.read));
  t0 = std::chrono::steady_clock::now();
  (void)must(index->index(*source, keys), "index again");
  std::printf("index again (nothing new): %.3f s\n", seconds_since(t0));

  std::mt19937_64 rng(7);
  std::vector<double> times;
  std::size_t visits = 0, contacts = 0, opened = 0;
  for (int i = 0; i < traces; ++i) {
    trace_request rq;
    rq.id_number = id_of(static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(people)));
    rq.from_ms = first_day;
    rq.to_ms = first_day + days * day_ms;
    rq.margin_ms = 15 * 60'000;
    t0 = std::chrono::steady_clock::now();
    const auto a = must(run_trace(*index, *source, keys, rq), "trace");
    times.push_back(seconds_since(t0));
    visits += a.case_visits.size();
    contacts += a.contacts.size();
    opened += a.opened.size();
  }
  std::sort(times.begin(), times.end());
  if (!times.empty())
    std::printf("trace over %d days: %d traces, median %.1f ms, max %.1f ms; per trace %.1f case visits, %.1f contacts, "
                "%.1f records opened\n",
                days, traces, times[times.size() / 2] * 1e3, times.back() * 1e3,
                static_cast<double>(visits) / traces, static_cast<double>(contacts) / traces,
                static_cast<double>(opened) / traces);
  return 0;
}
