// Slip render + encode, in-process (issue 4): distinct 80 mm declaration
// slips (numbers, names and masked IDs differ; the name pre-printed) drawn
// by render_slip and encoded by encode_raster_job for the generic-80 profile.
// Reports per-slip render, encode and total time (mean/p50/p99/max) and the
// bytes a printer would be sent; fonts are opened before timing (start-up
// excluded). Writes one slip as slip.png (to look at) and slip.pbm (raw
// 1-bit, netpbm P4: the raster's own bit order, 1 = black) for
// bench/node/encoder_bench.mjs, which encodes the same slip with
// @point-of-sale/receipt-printer-encoder, and the figures as slip_bench.json.
// Usage: slip_bench [slips=500] [warmup=50] [out_dir=$TMPDIR/ravao-slip-bench]

#include <array>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "bench_util.hpp"
#include "common/text.hpp"
#include "drivers/escpos/encoder.hpp"
#include "drivers/escpos/profile.hpp"
#include "common/png.hpp"
#include "slip/slip_layout.hpp"
#include "slip/slip_number.hpp"

using namespace ravao;
using namespace ravao::bench;

namespace {

constexpr int paper_mm = 80;

// Distinct people: 8 x 8 x 8 names, cycled with the slip index.
slip::slip_content content(std::size_t i) {
  static constexpr std::array<std::string_view, 8> family = {"Nguyễn", "Trần", "Lê", "Phạm",
                                                              "Huỳnh", "Võ",   "Đặng", "Bùi"};
  static constexpr std::array<std::string_view, 8> middle = {"Văn", "Thị", "Hữu", "Ngọc",
                                                              "Minh", "Thanh", "Đức", "Quốc"};
  static constexpr std::array<std::string_view, 8> given = {"An", "Bình", "Cường", "Dũng",
                                                             "Hằng", "Khánh", "Ngọc Ánh", "Phượng"};
  slip::slip_content c;
  c.site_name = "Bưu điện Văn hóa xã Tân Phú";
  c.counter_name = fmt::format("Quầy {}", 1 + i % 4);
  c.issued_at = fmt::format("23/11/2026 {:02}:{:02}", 7 + i / 60 % 10, i % 60);
  c.slip_number = slip::format_slip_number(static_cast<std::int64_t>(17 + i));
  c.person_name = fmt::format("{} {} {}", family[i % 8], middle[i / 8 % 8], given[i / 64 % 8]);
  c.person_id_masked = text::mask_id(fmt::format("{:012}", 79'087'000'000ULL + i));
  return c;
}

struct stats {
  double mean = 0, p50 = 0, p99 = 0, max = 0;
};

stats summarise(const std::vector<double>& v) {
  stats s;
  if (v.empty()) return s;
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  s.p50 = percentile(v, 50);
  s.p99 = percentile(v, 99);
  s.max = percentile(v, 100);
  return s;
}

boost::json::object to_json(const stats& s) {
  return {{"mean", s.mean}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

void print_row(std::string_view name, const stats& s) {
  std::printf("%-34s %10.0f %10.0f %10.0f %10.0f\n", std::string(name).c_str(), s.mean, s.p50, s.p99, s.max);
}

// netpbm P4: "P4\n<width> <height>\n" then rows of width/8 bytes, MSB =
// leftmost, 1 = black: exactly ravao::raster's layout.
void write_pbm(const raster& r, const fs::path& file) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << "P4\n" << r.width << ' ' << r.height << '\n';
  out.write(reinterpret_cast<const char*>(r.bits.data()), static_cast<std::streamsize>(r.bits.size()));
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

int main(int argc, char** argv) try {
  const std::size_t slips = argc > 1 ? std::stoul(argv[1]) : 500;
  const std::size_t warmup = argc > 2 ? std::stoul(argv[2]) : 50;
  fs::path out_dir;
  if (argc > 3) {
    out_dir = argv[3];
  } else {
    const char* tmp = std::getenv("TMPDIR");
    out_dir = fs::path(tmp != nullptr ? tmp : "/tmp") / "ravao-slip-bench";
  }
  fs::create_directories(out_dir);

  auto fonts = slip::fonts::open_default();
  if (!fonts) throw std::runtime_error(fonts.error().message());
  const escpos::printer_profile& profile = escpos::generic_profile(paper_mm);

  std::vector<double> render_us, encode_us, total_us, bytes, heights;
  raster sample;
  std::vector<std::uint8_t> sample_job;
  for (std::size_t i = 0; i < warmup + slips; ++i) {
    const slip::slip_content c = content(i);
    const auto t0 = clock_type::now();
    auto image = slip::render_slip(*fonts, c, profile.dots_per_line);
    const auto t1 = clock_type::now();
    if (!image) throw std::runtime_error("render_slip: " + image.error().message());
    auto job = escpos::encode_raster_job(*image, profile);
    const auto t2 = clock_type::now();
    if (!job) throw std::runtime_error("encode_raster_job: " + job.error().message());
    if (i == warmup) {
      sample = *image;
      sample_job = job->bytes;
    }
    if (i < warmup) continue;
    render_us.push_back(micros(t1 - t0));
    encode_us.push_back(micros(t2 - t1));
    total_us.push_back(micros(t2 - t0));
    bytes.push_back(static_cast<double>(job->bytes.size()));
    heights.push_back(static_cast<double>(image->height));
  }

  if (auto ok = slip::write_png(sample, out_dir / "slip.png"); !ok) throw std::runtime_error(ok.error().message());
  write_pbm(sample, out_dir / "slip.pbm");
  {
    std::ofstream job_out(out_dir / "slip.escpos", std::ios::binary | std::ios::trunc);
    job_out.write(reinterpret_cast<const char*>(sample_job.data()), static_cast<std::streamsize>(sample_job.size()));
  }

  const stats render = summarise(render_us), encode = summarise(encode_us), total = summarise(total_us);
  const stats size = summarise(bytes), height = summarise(heights);
  const double min_bytes = *std::min_element(bytes.begin(), bytes.end());

  std::printf("slip_bench: %zu distinct slips after %zu warm-up, %d mm (%s, %d dots, bands of %d rows)\n", slips,
              warmup, paper_mm, std::string(profile.name).c_str(), profile.dots_per_line, profile.band_height);
  std::printf("%-34s %10s %10s %10s %10s\n", "per slip (microseconds)", "mean", "p50", "p99", "max");
  print_row("render_slip (text, QR, layout)", render);
  print_row("encode_raster_job (GS v 0 bands)", encode);
  print_row("total", total);
  std::printf("%-34s %10.0f %10.0f %10s %10.0f\n", "bytes sent per slip (mean/min/-/max)", size.mean, min_bytes, "",
              size.max);
  std::printf("%-34s %10.0f %10s %10s %10.0f\n", "slip height in dots (mean/max)", height.mean, "", "", height.max);
  std::printf("sample slip: %s, %s (%dx%d), %s\n", (out_dir / "slip.png").c_str(), (out_dir / "slip.pbm").c_str(),
              sample.width, sample.height, (out_dir / "slip.escpos").c_str());

  boost::json::object j;
  j["slips"] = slips;
  j["warmup"] = warmup;
  j["profile"] = std::string(profile.name);
  j["width"] = sample.width;
  j["height_mean"] = height.mean;
  j["render_us"] = to_json(render);
  j["encode_us"] = to_json(encode);
  j["total_us"] = to_json(total);
  j["bytes"] = boost::json::object{{"mean", size.mean}, {"min", min_bytes}, {"max", size.max}};
  j["sample_bytes"] = sample_job.size();
  j["sample_pbm"] = (out_dir / "slip.pbm").string();
  write_text(out_dir / "slip_bench.json", boost::json::serialize(j) + "\n");
  std::printf("figures: %s\n", (out_dir / "slip_bench.json").c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "slip_bench: %s\n", e.what());
  return 1;
}
