#include "slip/job_content.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include <limits>

namespace ravao::slip {
namespace json = boost::json;

namespace {

// Field readers for one stored object: the first field of the wrong type is
// remembered (error_) and decode reports it.
class fields {
 public:
  explicit fields(const json::object& o) : o_(o) {}

  std::string text(std::string_view key) { return optional_text(key).value_or(std::string{}); }

  std::optional<std::string> optional_text(std::string_view key) {
    const auto* v = o_.if_contains(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) return wrong(key, "a string"), std::nullopt;
    return std::string(v->as_string());
  }

  int integer(std::string_view key, int fallback) {
    const auto* v = o_.if_contains(key);
    if (!v) return fallback;
    if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > std::numeric_limits<int>::max())
      return wrong(key, "a whole number"), fallback;
    return static_cast<int>(v->as_int64());
  }

  bool flag(std::string_view key) {
    const auto* v = o_.if_contains(key);
    if (!v) return false;
    if (!v->is_bool()) return wrong(key, "true or false"), false;
    return v->as_bool();
  }

  const std::string& error() const { return error_; }

 private:
  void wrong(std::string_view key, std::string_view expected) {
    if (error_.empty()) error_ = fmt::format("\"{}\" must be {}", key, expected);
  }

  const json::object& o_;
  std::string error_;
};

json::object to_object(const slip_content& c) {
  json::object o{{"site_name", c.site_name},
                 {"counter_name", c.counter_name},
                 {"issued_at", c.issued_at},
                 {"retention_days", c.retention_days},
                 {"number", c.slip_number}};
  if (c.person_name) o["person_name"] = *c.person_name;
  if (c.person_id_masked) o["person_id_masked"] = *c.person_id_masked;
  if (c.reprint) o["reprint"] = true;
  if (c.form) o["form"] = to_json(*c.form);
  return o;
}

json::object to_object(const card_content& c) {
  json::object o{{"site_name", c.site_name}, {"counter_id", c.counter_id}, {"counter_name", c.counter_name}};
  if (c.console_url) o["console_url"] = *c.console_url;
  if (c.console_fingerprint) o["console_fingerprint"] = *c.console_fingerprint;
  return o;
}

json::object to_object(const test_page_content& c) {
  return {{"site_name", c.site_name},
          {"printer_id", c.printer_id},
          {"profile_name", c.profile_name},
          {"printed_at", c.printed_at}};
}

json::object to_object(const poster_content& c) { return {{"site_name", c.site_name}, {"qr_text", c.qr_text}}; }

json::object to_object(const declaration_copy_content& c) {
  json::object o{{"site_name", c.site_name},       {"counter_name", c.counter_name},
                 {"declared_at", c.declared_at},   {"slip_number", c.slip_number},
                 {"record", c.record},             {"person_name_masked", c.person_name_masked},
                 {"person_id_masked", c.person_id_masked}, {"actor", c.actor}};
  if (!c.answers.empty()) {
    json::array answers;
    for (const auto& [label, value] : c.answers) answers.push_back(json::array{json::string(label), json::string(value)});
    o["answers"] = std::move(answers);
  }
  return o;
}

// "answers": [[label, value], ...]; absent is none.
std::vector<std::pair<std::string, std::string>> read_answers(const json::object& o, std::string& error) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto* v = o.if_contains("answers");
  if (!v) return out;
  const auto bad = [&] {
    if (error.empty()) error = "\"answers\" must be [[label, value], ...]";
    return std::vector<std::pair<std::string, std::string>>{};
  };
  if (!v->is_array()) return bad();
  for (const auto& a : v->as_array()) {
    if (!a.is_array() || a.as_array().size() != 2 || !a.as_array()[0].is_string() || !a.as_array()[1].is_string())
      return bad();
    out.emplace_back(std::string(a.as_array()[0].as_string()), std::string(a.as_array()[1].as_string()));
  }
  return out;
}

}  // namespace

std::string_view kind_of(const job_content& c) {
  struct {
    std::string_view operator()(const slip_content&) const { return "slip"; }
    std::string_view operator()(const card_content&) const { return "card"; }
    std::string_view operator()(const test_page_content&) const { return "test"; }
    std::string_view operator()(const poster_content&) const { return "poster"; }
    std::string_view operator()(const declaration_copy_content&) const { return "declaration"; }
  } kind;
  return std::visit(kind, c);
}

std::string encode(const job_content& c) {
  return json::serialize(std::visit([](const auto& k) { return to_object(k); }, c));
}

result<job_content> decode(std::string_view kind, std::string_view text) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);  // reports depth and syntax errors in ec
  if (ec) return fail(errc::invalid_argument, fmt::format("print job content is not JSON: {}", ec.message()));
  if (!parsed.is_object()) return fail(errc::invalid_argument, "print job content is not a JSON object");
  fields f(parsed.as_object());
  job_content out;
  if (kind == "slip") {
    slip_content c;
    c.site_name = f.text("site_name");
    c.counter_name = f.text("counter_name");
    c.issued_at = f.text("issued_at");
    c.slip_number = f.text("number");
    c.person_name = f.optional_text("person_name");
    c.person_id_masked = f.optional_text("person_id_masked");
    c.retention_days = f.integer("retention_days", c.retention_days);
    c.reprint = f.flag("reprint");
    if (const auto* form = parsed.as_object().if_contains("form")) {
      auto read = form_from_json(*form);
      if (!read) return fail(errc::invalid_argument, "print job content (slip): " + read.error().message());
      c.form = std::move(*read);
    }
    if (f.error().empty() && c.slip_number.empty())
      return fail(errc::invalid_argument, "slip job without a number");
    out = std::move(c);
  } else if (kind == "card") {
    out = card_content{f.text("site_name"), f.text("counter_id"), f.text("counter_name"),
                       f.optional_text("console_url"), f.optional_text("console_fingerprint")};
  } else if (kind == "test") {
    out = test_page_content{f.text("site_name"), f.text("printer_id"), f.text("profile_name"), f.text("printed_at")};
  } else if (kind == "poster") {
    poster_content c{f.text("site_name"), f.text("qr_text")};
    if (f.error().empty() && c.qr_text.empty()) return fail(errc::invalid_argument, "poster job without a QR text");
    out = std::move(c);
  } else if (kind == "declaration") {
    declaration_copy_content c;
    c.site_name = f.text("site_name");
    c.counter_name = f.text("counter_name");
    c.declared_at = f.text("declared_at");
    c.slip_number = f.text("slip_number");
    c.record = f.integer("record", 0);
    c.person_name_masked = f.text("person_name_masked");
    c.person_id_masked = f.text("person_id_masked");
    c.actor = f.text("actor");
    std::string answers_error;
    c.answers = read_answers(parsed.as_object(), answers_error);
    if (!answers_error.empty() && f.error().empty())
      return fail(errc::invalid_argument, fmt::format("print job content ({}): {}", kind, answers_error));
    out = std::move(c);
  } else {
    return fail(errc::invalid_argument, fmt::format("unknown print job kind \"{}\"", kind));
  }
  if (!f.error().empty())
    return fail(errc::invalid_argument, fmt::format("print job content ({}): {}", kind, f.error()));
  return out;
}

}  // namespace ravao::slip
