// ravao-receiver sites: the province's site table (docs/weekly-report.md).

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"
#include "receiver/args.hpp"
#include "receiver/commands.hpp"
#include "receiver/report.hpp"
#include "receiver/report_queries.hpp"

namespace ravao::receiver {

namespace {

constexpr option_spec load_specs[] = {{"db"}};
constexpr option_spec list_specs[] = {{"db"}, {"json", false}};

constexpr const char* help = R"(usage: ravao-receiver sites load --db FILE|URL SITES.csv
       ravao-receiver sites list --db FILE|URL [--json]

load: replaces the site table with the CSV file's, in one transaction (the
old table stays when any line is wrong; every wrong line is printed as
FILE:LINE: why). The first line names the columns:

  site_id,name,commune,province,population,gateways
  hn-bd-01,Bưu điện Ba Đình,Phường Ba Đình,Hà Nội,9500,hn-bd-01 hn-bd-01b

gateways (optional): the site's gateway ids, separated by spaces; empty or
absent: one gateway whose id is the site id. UTF-8 (a byte order mark is
skipped), quoted cells as spreadsheets write them.

list: the table as loaded, one site per line (or JSON).

  --db FILE|URL  the receiver database (serve --db); load creates the SQLite
                 file when missing, and the tables in a PostgreSQL database
  --json         list: a JSON array
)";

int failure(const std::string& message) {
  std::fprintf(stderr, "ravao-receiver sites: %s\n", message.c_str());
  return 1;
}

int load(std::span<char*> args) {
  // The CSV file is the one word that is not an option or an option's value.
  std::vector<char*> option_words;
  std::vector<std::string> files;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view w = args[i];
    if (w.starts_with("--")) {
      option_words.push_back(args[i]);
      if (w == "--db" && i + 1 < args.size()) option_words.push_back(args[++i]);
    } else {
      files.emplace_back(w);
    }
  }
  const options opts(load_specs, option_words);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  if (files.size() != 1) throw usage_error("expected one CSV file");
  std::ifstream in(files.front(), std::ios::binary);
  if (!in) return failure(fmt::format("{}: cannot read", files.front()));
  std::stringstream text;
  text << in.rdbuf();
  auto sites = parse_site_table(text.str(), files.front());
  if (!sites) {
    // One problem per line, each made safe for the terminal (the file's bytes are anyone's).
    std::istringstream lines(sites.error().context);
    for (std::string line; std::getline(lines, line);) std::fprintf(stderr, "%s\n", shown(line).c_str());
    std::fputs("ravao-receiver sites: nothing loaded; the site table is unchanged\n", stderr);
    return 1;
  }
  auto db = open_report_queries(opts.required("db"), store_mode::serve);
  if (!db) return failure(db.error().message());
  if (auto r = (*db)->replace_sites(*sites); !r) return failure(r.error().message());
  std::size_t gateways = 0;
  for (const auto& s : *sites) gateways += s.gateways.size();
  std::printf("loaded %zu sites, %zu gateways from %s\n", sites->size(), gateways, shown(files.front()).c_str());
  return 0;
}

int list(std::span<char*> args) {
  const options opts(list_specs, args);
  if (opts.help()) {
    std::fputs(help, stdout);
    return 0;
  }
  auto db = open_report_queries(opts.required("db"), store_mode::read_only);
  if (!db) return failure(db.error().message());
  auto sites = (*db)->sites();
  if (!sites) return failure(sites.error().message());
  if (opts.flag("json")) {
    boost::json::array out;
    for (const auto& s : *sites) {
      boost::json::array gateways;
      for (const auto& g : s.gateways) gateways.emplace_back(g);
      out.push_back(boost::json::object{{"site_id", s.id},           {"name", s.name},
                                        {"commune", s.commune},      {"province", s.province},
                                        {"population", s.population}, {"gateways", gateways}});
    }
    std::printf("%s\n", text::json_for_terminal(boost::json::serialize(out)).c_str());
    return 0;
  }
  for (const auto& s : *sites) {
    std::printf("%s\t%s\t%s\t%s\t%lld\t%s\n", shown(s.id).c_str(), shown(s.name).c_str(), shown(s.commune).c_str(),
                shown(s.province).c_str(), static_cast<long long>(s.population),
                shown(text::join(s.gateways, " ")).c_str());
  }
  return 0;
}

}  // namespace

int sites_command(std::span<char*> args) {
  const std::string_view sub = args.empty() ? "" : args[0];
  if (sub == "--help" || sub == "-h") {
    std::fputs(help, stdout);
    return 0;
  }
  if (sub == "load") return load(args.subspan(1));
  if (sub == "list") return list(args.subspan(1));
  throw usage_error(sub.empty() ? "expected load or list" : fmt::format("unknown sites command \"{}\" (expected load or list)", shown(sub)));
}

}  // namespace ravao::receiver
