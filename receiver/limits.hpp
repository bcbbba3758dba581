#pragma once
// Connections per peer address: a client that opens many connections (idle,
// or sending one byte at a time) fills its own share, not the server's.
//
// Thread: the server's I/O thread only (no locking). The table must outlive
// every slot it handed out; the server owns it, and its sessions (which hold
// the slots) all end before the io_context's run() returns.

#include <cstddef>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace ravao::receiver {

class address_limits;

// The key a peer's connections are counted under: an IPv4 address (also when
// it arrives IPv4-mapped on an IPv6 socket), or an IPv6 address's /64 prefix,
// since one host usually holds a whole /64.
std::string address_key(const boost::asio::ip::address& a);

// One admitted connection; releases its place when destroyed. Move-only.
class connection_slot {
 public:
  connection_slot() = default;
  connection_slot(connection_slot&& other) noexcept;
  connection_slot& operator=(connection_slot&& other) noexcept;
  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;
  ~connection_slot();

 private:
  friend class address_limits;

  connection_slot(address_limits* table, std::string address) : table_(table), address_(std::move(address)) {}
  address_limits* table_ = nullptr;
  std::string address_;
};

class address_limits {
 public:
  explicit address_limits(std::size_t per_address) : per_address_(per_address) {}

  struct admission {
    bool admitted = false;
    connection_slot slot;     // when admitted
    bool first_refusal = false;  // refused, and the first refusal since this address was last under its cap
  };
  // A place for one more connection from `address` (its address_key), or a refusal.
  admission admit(const std::string& address);

  std::size_t connections(const std::string& address) const;

 private:
  friend class connection_slot;
  void release(const std::string& address);

  struct entry {
    std::size_t connections = 0;
    bool refused = false;  // refusals are logged once per episode, not once per connection
  };
  std::size_t per_address_;
  std::unordered_map<std::string, entry> table_;
};

}  // namespace ravao::receiver
