#include "control/last_scans.hpp"

#include <string.h>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace ravao::control {
namespace json = boost::json;

namespace {

// Overwrites the whole buffer (what was ever written to it, up to its
// capacity) before the string is freed; explicit_bzero is not optimised away.
void wipe_string(std::string& s) {
  s.resize(s.capacity());
  ::explicit_bzero(s.data(), s.size());
  s.clear();
}

}  // namespace

last_scans::last_scans(boost::asio::any_io_executor ex, clock::duration keep) : keep_(keep), timer_(ex) {}

last_scans::~last_scans() { clear(); }

void last_scans::wipe(entry& e) {
  for (auto& [name, value] : e.fields) wipe_string(value);
  e.fields.clear();
  e.visit = 0;
}

void last_scans::erase(std::map<std::string, entry>::iterator it) {
  wipe(it->second);
  entries_.erase(it);
}

void last_scans::remember(const std::string& counter, const classified_payload& p, std::string time,
                          std::int64_t visit) {
  if ((p.kind != payload_kind::cccd && p.kind != payload_kind::personal_qr) || !p.who) return;
  const person& who = *p.who;
  entry e;
  e.kind = std::string(to_string(p.kind));
  e.time = std::move(time);
  e.visit = visit;
  e.expires = clock::now() + keep_;
  const auto add = [&](std::string name, std::string value) {
    if (!value.empty()) e.fields.emplace_back(std::move(name), std::move(value));
  };
  add("name", who.full_name);
  if (who.birth_date)
    add("birth", fmt::format("{:04}-{:02}-{:02}", who.birth_date->year, who.birth_date->month, who.birth_date->day));
  if (who.sex_ != sex::unknown) add("sex", std::string(to_string(who.sex_)));
  add("id", who.id_number);
  add("address", who.address);
  // A CCCD is the card of a Vietnamese citizen; the personal QR does not say.
  if (p.kind == payload_kind::cccd) add("nationality", "Việt Nam");
  if (auto it = entries_.find(counter); it != entries_.end()) erase(it);
  entries_.emplace(counter, std::move(e));
  arm();
}

json::value last_scans::find(const std::string& counter) const {
  const auto it = entries_.find(counter);
  // The timer may not have run yet: an entry past its time is not shown.
  if (it == entries_.end() || it->second.expires <= clock::now()) return nullptr;
  const entry& e = it->second;
  json::object fields;
  for (const auto& [name, value] : e.fields) fields[name] = value;
  return json::object{{"counter", counter}, {"kind", e.kind}, {"time", e.time}, {"visit", e.visit},
                      {"fields", std::move(fields)}};
}

void last_scans::forget(const std::string& counter) {
  if (auto it = entries_.find(counter); it != entries_.end()) erase(it);
}

void last_scans::clear() {
  timer_.cancel();
  while (!entries_.empty()) erase(entries_.begin());
}

void last_scans::arm() {
  if (entries_.empty()) return;
  clock::time_point soonest = clock::time_point::max();
  for (const auto& [counter, e] : entries_) soonest = std::min(soonest, e.expires);
  // Re-arming cancels the wait in flight (its handler sees the error and
  // does nothing); one wait is pending at a time.
  timer_.expires_at(soonest);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) expire();
  });
}

void last_scans::expire() {
  const auto t = clock::now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= t) {
      auto next = std::next(it);
      erase(it);
      it = next;
    } else {
      ++it;
    }
  }
  arm();
}

}  // namespace ravao::control
