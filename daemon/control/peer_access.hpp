#pragma once
// Who the control socket serves (docs/control.md "Access"): pure functions of
// the peer's credentials (SO_PEERCRED) and of what the daemon knows about its
// own user namespace, read once from /proc/self/uid_map and gid_map when the
// socket is opened (control/server.cpp).
//
// Under systemd's PrivateUsers= (as packaged) ravaod runs in a user namespace
// that maps only root and its own user and group: every other client shows
// to it as the overflow uid (65534), whose real user and groups cannot be
// looked up. Such a client reached the socket only because the kernel found
// it allowed by the socket's mode 0660 and group and by its folder's, so it is
// admitted. Outside a user namespace (or where the namespace maps 65534
// itself), 65534 is a real user, `nobody`, and gets the group check like any
// other (audit finding 10).

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace ravao {

// Whether /proc/self/uid_map (or gid_map) text is the initial user
// namespace's: exactly one line "0 0 4294967295". Empty or unparsable text
// counts as the initial namespace (fail closed: 65534 is then a real user).
bool initial_user_namespace(std::string_view id_map);

// Whether `id`, as seen in this namespace, is mapped by the id_map text
// (some line "inside outside count" with inside <= id < inside + count).
// Empty or unparsable text maps everything (the initial namespace).
bool id_mapped(std::string_view id_map, unsigned id);

struct control_access {
  uid_t daemon_uid = 0;
  // The socket's group as known from here; nullopt when it cannot be known
  // (a group outside this user namespace): then no peer is admitted by group.
  std::optional<gid_t> socket_gid;
  // The uid that stands for "a user outside this user namespace"; nullopt in
  // the initial namespace, or where the namespace maps the overflow uid.
  std::optional<uid_t> outsider_uid;
};

// The access rule for a daemon whose /proc/self/uid_map reads `uid_map`.
control_access make_control_access(std::string_view uid_map, uid_t overflow_uid, uid_t daemon_uid,
                                   std::optional<gid_t> socket_gid);

struct peer_credentials {
  uid_t uid = 0;
  gid_t gid = 0;                   // primary group, from SO_PEERCRED
  std::span<const gid_t> groups;   // the user's groups from the user database; empty when unknown
};

// Root, the daemon's own user, members of the socket's group, and (inside a
// user namespace) users outside it.
bool peer_admitted(const control_access& access, const peer_credentials& peer);

// Who is at the other end of an admitted connection, for the records its
// requests write (docs/control.md, "Actor").
struct control_peer {
  uid_t uid = 0;
  // The user's name in the user database; empty when unknown, or when the
  // peer is outside the daemon's user namespace (it then shows as the
  // overflow uid, whose name here, "nobody", would be nobody's).
  std::string user;
};

// Whether `s` may be a record's actor: 1 to 64 of A-Z a-z 0-9 . _ @ : -
bool valid_actor(std::string_view s);
// The actor of a request that names none: "unix:<user name>", or
// "unix:<uid>" when the name is unknown or not a valid actor.
std::string unix_actor(const control_peer& peer);

}  // namespace ravao
