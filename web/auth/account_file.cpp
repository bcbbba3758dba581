#include "web/auth/account_file.hpp"

#include <set>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.hpp"

namespace ravao::web {
namespace json = boost::json;
namespace {

// One user entry, every key checked; `where` is "FILE: users[N]".
result<account> parse_user(const json::value& v, const std::string& where) {
  const auto* o = v.if_object();
  if (!o) return fail(errc::invalid_argument, where + ": expected an object");
  const auto bad = [&](std::string_view key, std::string_view expected) {
    return fail(errc::invalid_argument, fmt::format("{}: {}: expected {}", where, key, expected));
  };
  const auto text = [&](std::string_view key, std::string& out) -> result<void> {
    const auto* f = o->if_contains(key);
    if (!f || !f->is_string()) return bad(key, "a string");
    out.assign(f->get_string().data(), f->get_string().size());
    return {};
  };
  for (const auto& kv : *o) {
    static constexpr std::string_view known[] = {"name", "role", "counters", "disabled", "hash", "created", "changed"};
    if (std::ranges::find(known, std::string_view(kv.key())) == std::end(known))
      return fail(errc::invalid_argument,
                  fmt::format("{}: unknown key \"{}\"", where, text::escape_for_log(kv.key(), 40)));
  }
  account a;
  std::string role_text;
  if (auto r = text("name", a.name); !r) return std::unexpected(r.error());
  if (auto r = text("role", role_text); !r) return std::unexpected(r.error());
  if (auto r = text("hash", a.hash); !r) return std::unexpected(r.error());
  if (auto r = text("created", a.created); !r) return std::unexpected(r.error());
  if (auto r = text("changed", a.changed); !r) return std::unexpected(r.error());
  auto parsed_role = parse_role(role_text);
  if (!parsed_role) return bad("role", "staff or supervisor");
  a.role = *parsed_role;
  const auto* disabled = o->if_contains("disabled");
  if (!disabled || !disabled->is_bool()) return bad("disabled", "true or false");
  a.disabled = disabled->get_bool();
  const auto* counters = o->if_contains("counters");
  if (!counters || !counters->is_array()) return bad("counters", "an array of counter ids");
  for (const auto& c : counters->get_array()) {
    if (!c.is_string()) return bad("counters", "an array of counter ids");
    a.counters.emplace_back(c.get_string().data(), c.get_string().size());
  }
  for (const std::string* t : {&a.created, &a.changed})
    if (t->size() > 40 || text::first_control(*t)) return bad(t == &a.created ? "created" : "changed", "a UTC time");
  if (auto r = check_account(a); !r) return fail(errc::invalid_argument, where + ": " + r.error().context);
  return a;
}

}  // namespace

result<std::vector<account>> parse_account_file(std::string_view text, std::string_view where) {
  const std::string file(where);
  if (text.size() > max_account_file_bytes)
    return fail(errc::invalid_argument, fmt::format("{}: larger than {} bytes", file, max_account_file_bytes));
  std::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  const json::value doc = json::parse(text, ec, {}, options);
  if (ec) return fail(errc::invalid_argument, fmt::format("{}: not JSON ({})", file, ec.message()));
  const auto* o = doc.if_object();
  if (!o) return fail(errc::invalid_argument, file + ": expected an object {\"version\":1,\"users\":[...]}");
  for (const auto& kv : *o)
    if (kv.key() != "version" && kv.key() != "users")
      return fail(errc::invalid_argument,
                  fmt::format("{}: unknown key \"{}\"", file, text::escape_for_log(kv.key(), 40)));
  const auto* version = o->if_contains("version");
  if (!version || !version->is_int64() || version->get_int64() != 1)
    return fail(errc::invalid_argument, file + ": version: expected 1 (a newer ravao-web wrote this file?)");
  const auto* users = o->if_contains("users");
  if (!users || !users->is_array()) return fail(errc::invalid_argument, file + ": users: expected an array");
  std::vector<account> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < users->get_array().size(); ++i) {
    auto a = parse_user(users->get_array()[i], fmt::format("{}: users[{}]", file, i));
    if (!a) return std::unexpected(a.error());
    if (!names.insert(a->name).second)
      return fail(errc::invalid_argument, fmt::format("{}: users[{}]: name \"{}\" appears twice", file, i, a->name));
    out.push_back(std::move(*a));
  }
  return out;
}

std::string format_account_file(const std::vector<account>& accounts) {
  std::string out = "{\"version\":1,\"users\":[\n";
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    const account& a = accounts[i];
    json::array counters;
    for (const auto& c : a.counters) counters.emplace_back(c);
    const json::object o{{"name", a.name},           {"role", to_string(a.role)}, {"counters", std::move(counters)},
                         {"disabled", a.disabled},   {"hash", a.hash},            {"created", a.created},
                         {"changed", a.changed}};
    out += "  " + json::serialize(o) + (i + 1 < accounts.size() ? ",\n" : "\n");
  }
  out += "]}\n";
  return out;
}

}  // namespace ravao::web
