// What sealing one record costs (common/seal.hpp, common/seal_window.hpp):
// format 1 (crypto_box_seal: a key pair and an X25519 agreement per record)
// against format 2 (a window's key: one AEAD per record, a key pair and an
// agreement per window of 1,024 records), on a CCCD record's JSON, and what
// opening one costs the province. In-process, one thread.
// Usage: seal_bench [records=20000]

#include <chrono>
#include <cstdio>
#include <string>

#include "common/seal.hpp"
#include "common/seal_window.hpp"

using namespace ravao;

namespace {

template <typename F>
double us_per(int n, F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) f();
  const std::chrono::duration<double, std::micro> d = std::chrono::steady_clock::now() - t0;
  return d.count() / n;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::stoi(argv[1]) : 20'000;
  const auto keys = seal::generate();
  const std::string plain =
      R"({"id_number":"001090012345","name":"Nguyễn Văn An","birth_date":"1990-01-01","sex":"male",)"
      R"("address":"Thôn 3, Xã Ia Kênh, Thành phố Pleiku, Gia Lai","issue_date":"2021-04-12"})";
  std::size_t sink = 0;
  const double v1 = us_per(n, [&] { sink += seal::seal(keys.pub, plain).size(); });
  seal::window_sealer sealer(keys.pub);
  const double v2 = us_per(n, [&] { sink += sealer.seal(plain).size(); });
  const std::string box1 = seal::seal(keys.pub, plain), box2 = sealer.seal(plain);
  const double open1 = us_per(n / 10, [&] { sink += seal::open(keys, box1)->size(); });
  const double open2 = us_per(n / 10, [&] { sink += seal::open(keys, box2)->size(); });
  std::printf("records: %d of %zu bytes (check %zu)\n", n, plain.size(), sink % 10);
  std::printf("seal format 1 (crypto_box_seal): %.2f us/record, %zu bytes\n", v1, box1.size());
  std::printf("seal format 2 (window key):      %.2f us/record, %zu bytes\n", v2, box2.size());
  std::printf("open format 1: %.2f us, format 2: %.2f us\n", open1, open2);
  return 0;
}
