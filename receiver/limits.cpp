#include "receiver/limits.hpp"

#include <algorithm>
#include <utility>

namespace ravao::receiver {

std::string address_key(const boost::asio::ip::address& a) {
  if (a.is_v4()) return a.to_string();
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  auto bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

connection_slot::connection_slot(connection_slot&& other) noexcept
    : table_(std::exchange(other.table_, nullptr)), address_(std::move(other.address_)) {}

connection_slot& connection_slot::operator=(connection_slot&& other) noexcept {
  if (this != &other) {
    if (table_) table_->release(address_);
    table_ = std::exchange(other.table_, nullptr);
    address_ = std::move(other.address_);
  }
  return *this;
}

connection_slot::~connection_slot() {
  if (table_) table_->release(address_);
}

address_limits::admission address_limits::admit(const std::string& address) {
  auto& e = table_[address];
  admission a;
  if (e.connections >= per_address_) {
    a.first_refusal = !e.refused;
    e.refused = true;
    return a;
  }
  ++e.connections;
  a.admitted = true;
  a.slot = connection_slot(this, address);
  return a;
}

std::size_t address_limits::connections(const std::string& address) const {
  const auto it = table_.find(address);
  return it == table_.end() ? 0 : it->second.connections;
}

void address_limits::release(const std::string& address) {
  const auto it = table_.find(address);
  if (it == table_.end()) return;
  if (--it->second.connections == 0) {
    table_.erase(it);  // the table holds only addresses with a connection open
  } else {
    it->second.refused = false;  // back under the cap: the next refusal is logged again
  }
}

}  // namespace ravao::receiver
