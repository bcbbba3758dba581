#!/usr/bin/env bash
# The Debian packages as an admin gets them (issue 6): build them
# (scripts/package.sh, lintian included), install them with dpkg on this
# machine, check what they installed, check the shipped configuration, run
# the installed ravaod in the foreground as the user ravao with NOTIFY_SOCKET
# pointed at a socket this test listens on (READY=1, STATUS=, WATCHDOG=1,
# STOPPING=1), upgrade to a newer version (store and local config edits
# kept), remove, purge (everything the package created gone), and score the
# installed unit with `systemd-analyze security --offline=true` (at most 1.5).
# The receiver's unit likewise (installed, neither enabled nor started;
# `systemd-analyze verify`, its score), and the installed ravao-receiver run
# as its service would (user ravao-receiver, READY=1, a database 0600).
# The console's package ravao-web: its unit enabled, scored (at most 2.0),
# its user in ravao-ctl and not in ravao, and the installed ravao-web run
# beside the installed ravaod with the unit's user, groups, capability and
# hidden paths, where it serves HTTPS and cannot open the store.
#
# It changes the machine: it needs root and dpkg, and it refuses to touch a
# machine where ravao is already installed or /var/lib/ravao exists (exit 77:
# skipped). CI machines are fresh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIPPED: $*"; exit 77; }
fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (it installs and purges the packages)"
command -v dpkg >/dev/null || skip "needs dpkg"
if dpkg-query -W -f='${Status}' ravao 2>/dev/null | grep -q installed; then
  skip "the package ravao is installed on this machine; this test would replace and purge it"
fi
[ ! -e /var/lib/ravao ] || skip "/var/lib/ravao exists; this test would purge it"
[ ! -e /var/lib/ravao-receiver ] || skip "/var/lib/ravao-receiver exists; this test would purge it"
[ ! -e /var/lib/ravao-web ] || skip "/var/lib/ravao-web exists; this test would purge it"
getent passwd ravao-web >/dev/null && skip "a user ravao-web exists; this test would delete it"
getent passwd ravao-receiver >/dev/null && skip "a user ravao-receiver exists; this test would delete it"
getent passwd ravao >/dev/null && skip "a user ravao exists; this test would delete it"
getent passwd ravaotest >/dev/null && skip "a user ravaotest exists; this test would delete it"

work=$(mktemp -d "${TMPDIR:-/tmp}/ravao-deb-test-XXXXXX")
chmod 0755 "$work"  # the user ravao reaches the notify socket in it
daemon_pid=
receiver_pid=
web_pid=
listeners=()  # notify listeners: one left running would hold ctest's output pipe open
cleanup() {
  for pid in "${listeners[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null || true
  [ -n "$receiver_pid" ] && kill -KILL "$receiver_pid" 2>/dev/null || true
  [ -n "$web_pid" ] && kill -KILL "$web_pid" 2>/dev/null || true
  getent passwd ravaotest >/dev/null && userdel ravaotest
  dpkg --purge ravao-web ravao ravao-receiver >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "build and lintian"
# scripts/test.sh builds the packages in the background while the other
# tests run (RAVAO_PREBUILT_DEBS: the folder; package.rc appears when done).
# Else they are built here. No -dbgsym packages either way: nothing below
# looks at them (scripts/package.sh alone makes them).
if [ -n "${RAVAO_PREBUILT_DEBS:-}" ]; then
  echo "waiting for the package build of scripts/test.sh in $RAVAO_PREBUILT_DEBS"
  for _ in $(seq 1200); do [ -f "$RAVAO_PREBUILT_DEBS/package.rc" ] && break; sleep 1; done
  [ -f "$RAVAO_PREBUILT_DEBS/package.rc" ] || fail "the background package build did not finish within 20 minutes"
  cat "$RAVAO_PREBUILT_DEBS/package.log" | grep -v '^\[[0-9]*/[0-9]*\] ' || true
  [ "$(cat "$RAVAO_PREBUILT_DEBS/package.rc")" = 0 ] || fail "the package build (or lintian) failed: $RAVAO_PREBUILT_DEBS/package.log"
  mkdir -p "$work/deb"
  cp "$RAVAO_PREBUILT_DEBS"/*.deb "$work/deb/"
else
  DEB_BUILD_OPTIONS="noautodbgsym ${DEB_BUILD_OPTIONS:-}" "$root/scripts/package.sh" "$work/deb"
fi
version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$work/deb/ravao_${version}_${arch}.deb
receiver_deb=$work/deb/ravao-receiver_${version}_${arch}.deb
web_deb=$work/deb/ravao-web_${version}_${arch}.deb
[ -f "$deb" ] && [ -f "$receiver_deb" ] && [ -f "$web_deb" ] || fail "packages not built"

step "contents"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/sbin/ravaod /usr/bin/ravaoctl /lib/systemd/system/ravao.service \
         /usr/lib/sysusers.d/ravao.conf /usr/lib/tmpfiles.d/ravao.conf \
         /usr/lib/udev/rules.d/70-ravao.rules /usr/lib/modules-load.d/ravao.conf /etc/ravao/ravao.toml \
         /usr/share/man/man8/ravaod.8.gz /usr/share/man/man1/ravaoctl.1.gz \
         /usr/share/man/man5/ravao.toml.5.gz /usr/share/bash-completion/completions/ravaoctl \
         /usr/share/doc/ravao/install.md.gz /usr/share/doc/ravao/copyright; do
  grep -qx -- "$f" <<<"$contents" || fail "ravao does not ship $f"
done
receiver_contents=$(dpkg-deb -c "$receiver_deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/ravao-receiver /usr/share/man/man1/ravao-receiver.1.gz \
         /lib/systemd/system/ravao-receiver.service /usr/lib/sysusers.d/ravao-receiver.conf \
         /usr/lib/tmpfiles.d/ravao-receiver.conf /etc/default/ravao-receiver; do
  grep -qx -- "$f" <<<"$receiver_contents" || fail "ravao-receiver does not ship $f"
done
web_contents=$(dpkg-deb -c "$web_deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/sbin/ravao-web /lib/systemd/system/ravao-web.service /usr/lib/sysusers.d/ravao-web.conf \
         /usr/lib/tmpfiles.d/ravao-web.conf /etc/ravao/web.toml /usr/share/man/man8/ravao-web.8.gz \
         /usr/share/doc/ravao-web/console.md.gz /usr/share/doc/ravao-web/huong-dan-quay.md.gz; do
  grep -qx -- "$f" <<<"$web_contents" || fail "ravao-web does not ship $f"
done
dpkg-deb -I "$deb" conffiles | grep -qx /etc/ravao/ravao.toml || fail "/etc/ravao/ravao.toml is not a conffile"
dpkg-deb -I "$web_deb" conffiles | grep -qx /etc/ravao/web.toml || fail "/etc/ravao/web.toml is not a conffile"
dpkg-deb -I "$receiver_deb" conffiles | grep -qx /etc/default/ravao-receiver ||
  fail "/etc/default/ravao-receiver is not a conffile"

step "install with dpkg"
dpkg -i "$deb" "$web_deb" "$receiver_deb"
getent passwd ravao >/dev/null || fail "no user ravao after install"
getent group ravao >/dev/null || fail "no group ravao after install"
getent group ravao-ctl >/dev/null || fail "no group ravao-ctl after install"
[ "$(stat -c '%U:%G %a' /var/lib/ravao)" = "ravao:ravao 750" ] || fail "/var/lib/ravao is $(stat -c '%U:%G %a' /var/lib/ravao)"
# The control socket's folder: the group ravao-ctl may pass, and the
# set-group-ID bit gives the socket that group (audit 9).
[ "$(stat -c '%U:%G %a' /run/ravao)" = "ravao:ravao-ctl 2710" ] || fail "/run/ravao is $(stat -c '%U:%G %a' /run/ravao)"
# audit 9: the devices go to the group ravao only, never to the control group.
rules=/usr/lib/udev/rules.d/70-ravao.rules
! grep -v '^#' "$rules" | grep -q 'ravao-ctl' || fail "audit 9: the udev rules give devices to the control group ravao-ctl"
[ "$(grep -v '^#' "$rules" | grep -o 'GROUP="[^"]*"' | sort -u)" = 'GROUP="ravao"' ] ||
  fail "audit 9: the udev rules give devices to groups other than ravao: $(grep -o 'GROUP="[^"]*"' "$rules" | sort -u | tr '\n' ' ')"
[ -L /etc/systemd/system/multi-user.target.wants/ravao.service ] || fail "ravao.service is not enabled"
# The console: its own user, in the control group and in no group of the
# daemon's (the store, the devices); its folder private; enabled.
getent passwd ravao-web >/dev/null || fail "no user ravao-web after install"
web_groups=$(id -nG ravao-web | tr ' ' '\n' | sort | tr '\n' ' ')
[ "$web_groups" = "ravao-ctl ravao-web " ] || fail "the user ravao-web is in the groups: $web_groups (expected ravao-ctl ravao-web)"
[ "$(stat -c '%U:%G %a' /var/lib/ravao-web)" = "ravao-web:ravao-web 700" ] ||
  fail "/var/lib/ravao-web is $(stat -c '%U:%G %a' /var/lib/ravao-web)"
[ -L /etc/systemd/system/multi-user.target.wants/ravao-web.service ] || fail "ravao-web.service is not enabled"
getent passwd ravao-receiver >/dev/null || fail "no user ravao-receiver after install"
[ "$(stat -c '%U:%G %a' /var/lib/ravao-receiver)" = "ravao-receiver:ravao-receiver 700" ] ||
  fail "/var/lib/ravao-receiver is $(stat -c '%U:%G %a' /var/lib/ravao-receiver)"
[ "$(stat -c '%U:%G %a' /etc/ravao-receiver)" = "root:ravao-receiver 750" ] ||
  fail "/etc/ravao-receiver is $(stat -c '%U:%G %a' /etc/ravao-receiver)"
# Installed, not enabled: it needs the province's certificate first.
[ ! -e /etc/systemd/system/multi-user.target.wants/ravao-receiver.service ] ||
  fail "ravao-receiver.service was enabled without configuration"
/usr/sbin/ravaod --version
/usr/bin/ravao-receiver --help >/dev/null
man -w ravaod ravaoctl ravao.toml ravao-receiver ravao-web >/dev/null || fail "man pages not found by man"

step "ravaod --check-config /etc/ravao/ravao.toml"
/usr/sbin/ravaod --check-config /etc/ravao/ravao.toml
# ... as the service's user, which is how systemctl reload runs it.
setpriv --reuid=ravao --regid=ravao --init-groups /usr/sbin/ravaod --check-config /etc/ravao/ravao.toml

step "ravao-web --check-config /etc/ravao/web.toml"
/usr/sbin/ravao-web --check-config /etc/ravao/web.toml
setpriv --reuid=ravao-web --regid=ravao-web --init-groups /usr/sbin/ravao-web --check-config /etc/ravao/web.toml

step "security score of the installed unit"
score=$(systemd-analyze security --offline=true /lib/systemd/system/ravao.service 2>&1 |
        sed -n 's/.*Overall exposure level for ravao.service: \([0-9.]*\).*/\1/p')
[ -n "$score" ] || fail "systemd-analyze printed no score"
echo "exposure $score"
awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }' || fail "security exposure $score is above 1.5"
receiver_score=$(systemd-analyze security --offline=true /lib/systemd/system/ravao-receiver.service 2>&1 |
        sed -n 's/.*Overall exposure level for ravao-receiver.service: \([0-9.]*\).*/\1/p')
[ -n "$receiver_score" ] || fail "systemd-analyze printed no score for ravao-receiver.service"
echo "ravao-receiver.service: exposure $receiver_score"
awk -v s="$receiver_score" 'BEGIN { exit !(s <= 1.5) }' ||
  fail "ravao-receiver.service: security exposure $receiver_score is above 1.5"
web_score=$(systemd-analyze security --offline=true /lib/systemd/system/ravao-web.service 2>&1 |
        sed -n 's/.*Overall exposure level for ravao-web.service: \([0-9.]*\).*/\1/p')
[ -n "$web_score" ] || fail "systemd-analyze printed no score for ravao-web.service"
echo "ravao-web.service: exposure $web_score"
awk -v s="$web_score" 'BEGIN { exit !(s <= 2.0) }' ||
  fail "ravao-web.service: security exposure $web_score is above 2.0"
for unit in ravao.service ravao-receiver.service ravao-web.service; do
  systemd-analyze verify "/lib/systemd/system/$unit" || fail "systemd-analyze verify $unit failed"
done

step "run the installed ravao-receiver as its service would"
# As /etc/default/ravao-receiver tells the admin: certificate, key and
# client CA in /etc/ravao-receiver, the key readable by the group only.
/usr/bin/ravao-receiver pki --out "$work/receiver-pki" --client gw-deb-test >/dev/null
install -m 0644 "$work/receiver-pki/server.pem" /etc/ravao-receiver/server.pem
install -m 0640 -g ravao-receiver "$work/receiver-pki/server.key" /etc/ravao-receiver/server.key
install -m 0644 "$work/receiver-pki/ca.pem" /etc/ravao-receiver/client-ca.pem
# shellcheck disable=SC1091
. /etc/default/ravao-receiver
# A free port instead of 8443; the rest as shipped. The shell's umask (022)
# stays: the database must be private whatever the caller's umask.
args=${RAVAO_RECEIVER_ARGS/\[::\]:8443/127.0.0.1:0}
sock=$work/notify-receiver.sock
python3 "$root/tests/packaging/notify_listener.py" "$sock" "$work/notify-receiver.log" &
listeners+=("$!")
listener=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
# shellcheck disable=SC2086
(umask 022; exec setpriv --reuid=ravao-receiver --regid=ravao-receiver --init-groups env NOTIFY_SOCKET="$sock" \
  /usr/bin/ravao-receiver serve --db /var/lib/ravao-receiver/receiver.db $args) >"$work/receiver.out" 2>&1 &
receiver_pid=$!
for _ in $(seq 300); do
  grep -qx READY=1 "$work/notify-receiver.log" 2>/dev/null && break
  kill -0 "$receiver_pid" 2>/dev/null || break
  sleep 0.1
done
grep -qx READY=1 "$work/notify-receiver.log" || { cat "$work/receiver.out" >&2; fail "no READY=1 from ravao-receiver serve"; }
for f in receiver.db receiver.db-wal receiver.db-shm; do
  [ "$(stat -c '%U %a' "/var/lib/ravao-receiver/$f")" = "ravao-receiver 600" ] ||
    fail "/var/lib/ravao-receiver/$f is $(stat -c '%U %a' "/var/lib/ravao-receiver/$f"), expected ravao-receiver 600"
done
kill -TERM "$receiver_pid"
rc=0
wait "$receiver_pid" || rc=$?
receiver_pid=
[ "$rc" = 0 ] || { cat "$work/receiver.out" >&2; fail "ravao-receiver exited with $rc after SIGTERM"; }
for _ in $(seq 50); do grep -qx STOPPING=1 "$work/notify-receiver.log" && break; sleep 0.1; done
grep -qx STOPPING=1 "$work/notify-receiver.log" || fail "no STOPPING=1 from ravao-receiver"
kill "$listener" 2>/dev/null || true
wait "$listener" 2>/dev/null || true
# An admin reading it as root leaves nothing behind that others can read.
/usr/bin/ravao-receiver stats --db /var/lib/ravao-receiver/receiver.db >/dev/null
leaky=$(find /var/lib/ravao-receiver -mindepth 1 \( -perm /077 -o ! -user ravao-receiver \) -printf '%p %u %m\n')
[ -z "$leaky" ] || fail "readable by others or not the service's: $leaky"

# Runs the installed ravao-web beside the running ravaod as
# ravao-web.service would, as far as that is possible without systemd as
# PID 1: as the user ravao-web with its groups (ravao-ctl), the unit's one
# capability (CAP_NET_BIND_SERVICE, ambient and bounding; a port below
# 1024 on 127.0.0.1 instead of 0.0.0.0:443), no new privileges, and, in a
# mount namespace of its own, the unit's InaccessiblePaths= over-mounted with
# an empty folder of mode 0000, as systemd does. Checks that it serves HTTPS,
# made its self-signed certificate private in /var/lib/ravao-web, and that
# neither the process's credentials nor its view of the file system open
# the store (the issue's "the web process cannot open the store file").
# Not emulated: the system call filter, ProtectSystem=, PrivateTmp=,
# PrivateDevices= and the other namespaces (their effect is in the score).
run_web() {
  local unit=/lib/systemd/system/ravao-web.service port='' p
  # Where systemd runs, the package started the real service: check it
  # too, then stop it for the foreground run.
  if [ -d /run/systemd/system ]; then
    local main
    main=$(systemctl show -P MainPID ravao-web.service)
    if [ -n "$main" ] && [ "$main" != 0 ]; then
      ! nsenter --target "$main" --mount -- test -e /var/lib/ravao/ravao.db ||
        fail "the store is visible to the running ravao-web.service"
    fi
    systemctl stop ravao-web.service || true
  fi
  grep -qx 'User=ravao-web' "$unit" || fail "ravao-web.service does not run as the user ravao-web"
  grep -qx 'AmbientCapabilities=CAP_NET_BIND_SERVICE' "$unit" && grep -qx 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' "$unit" ||
    fail "ravao-web.service's capabilities are not CAP_NET_BIND_SERVICE alone"
  local hidden
  hidden=$(sed -n 's/^InaccessiblePaths=//p' "$unit" | tr ' ' '\n' | sed 's/^-//' | grep .)
  grep -qx /var/lib/ravao <<<"$hidden" || fail "ravao-web.service does not hide /var/lib/ravao"
  for p in 443 643 843 993; do
    ss -Htln "sport = :$p" | grep -q . || { port=$p; break; }
  done
  [ -n "$port" ] || fail "no free port below 1024 for ravao-web"
  sed "s|^listen = .*|listen = \"127.0.0.1:$port\"|" /etc/ravao/web.toml >"$work/web.toml"
  mkdir -m 0000 "$work/inaccessible"
  # unshare without --fork: $! is ravao-web itself once setpriv has exec'd.
  # shellcheck disable=SC2016
  # UMask= of the unit, too.
  HIDDEN=$hidden unshare --mount --propagation private -- sh -c '
    umask 077
    empty=$1; shift
    for p in $HIDDEN; do
      [ -e "$p" ] || continue
      mount --bind "$empty" "$p" && mount -o remount,bind,ro "$p" || exit 90
    done
    exec "$@"' sh "$work/inaccessible" \
    setpriv --reuid=ravao-web --regid=ravao-web --init-groups --no-new-privs \
      --bounding-set=-all,+net_bind_service --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service \
      /usr/sbin/ravao-web --config "$work/web.toml" >"$work/ravao-web.out" 2>&1 &
  web_pid=$!
  local up=
  for _ in $(seq 300); do
    curl -ksSo /dev/null --max-time 2 "https://127.0.0.1:$port/login.html" 2>/dev/null && { up=1; break; }
    kill -0 "$web_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$up" ] || { cat "$work/ravao-web.out" >&2; fail "the installed ravao-web does not serve https://127.0.0.1:$port/ within 30 s"; }
  local headers
  headers=$(curl -ksS -D - -o /dev/null "https://127.0.0.1:$port/api/session")
  grep -qi '^cache-control: no-store' <<<"$headers" || fail "ravao-web: /api/session is not Cache-Control: no-store"
  # An account made by root as docs/console.md says, while the service
  # runs: users.json stays the service's, and the running console takes
  # the new account (it reads users.json again within 5 s).
  printf '%s\n' 'deb-test-password' |
    /usr/sbin/ravao-web --config /etc/ravao/web.toml user add deb-test --role supervisor --password-stdin ||
    fail "ravao-web user add failed"
  [ "$(stat -c '%U %a' /var/lib/ravao-web/users.json)" = "ravao-web 600" ] ||
    fail "users.json made by root is $(stat -c '%U %a' /var/lib/ravao-web/users.json), expected ravao-web 600"
  local strangers
  strangers=$(find /var/lib/ravao-web -mindepth 1 \( ! -user ravao-web -o -perm /022 \) -printf '%p %u %m\n')
  [ -z "$strangers" ] || fail "in /var/lib/ravao-web, not the service's or writable by others: $strangers"
  local login=
  for _ in $(seq 100); do
    login=$(curl -ksS -D - -o /dev/null -H 'Content-Type: application/json' \
              --data '{"user":"deb-test","password":"deb-test-password"}' "https://127.0.0.1:$port/api/login")
    head -n1 <<<"$login" | grep -q ' 200' && break
    sleep 0.1
  done
  head -n1 <<<"$login" | grep -q ' 200' || fail "the installed console refused the new account's login: $login"
  grep -i '^set-cookie: ravao_session=' <<<"$login" | grep -i 'secure' | grep -i 'httponly' | grep -qi 'samesite=strict' ||
    fail "the session cookie is not Secure, HttpOnly, SameSite=Strict: $(grep -i '^set-cookie' <<<"$login")"
  # The self-signed certificate and its key: the service's, the key private.
  [ -f /var/lib/ravao-web/certificate.pem ] || fail "ravao-web made no certificate in /var/lib/ravao-web"
  [ "$(stat -c '%U %a' /var/lib/ravao-web/key.pem)" = "ravao-web 600" ] ||
    fail "the console's key is $(stat -c '%U %a' /var/lib/ravao-web/key.pem), expected ravao-web 600"
  # The store: there for ravaod, not for the console.
  [ -f /var/lib/ravao/ravao.db ] || fail "no store to hide"
  ! nsenter --target "$web_pid" --mount -- test -e /var/lib/ravao/ravao.db ||
    fail "the store is visible in ravao-web's mount namespace"
  local as_web=(setpriv --reuid=ravao-web --regid=ravao-web --init-groups)
  ! nsenter --target "$web_pid" --mount -- "${as_web[@]}" sh -c 'exec 3<"$1"' sh /var/lib/ravao/ravao.db 2>/dev/null ||
    fail "the web process can open the store"
  # Without the hidden paths, its credentials alone do not open it either.
  ! "${as_web[@]}" sh -c 'exec 3<"$1"' sh /var/lib/ravao/ravao.db 2>/dev/null ||
    fail "the user ravao-web can open the store"
  ! "${as_web[@]}" ls /var/lib/ravao >/dev/null 2>&1 || fail "the user ravao-web can list /var/lib/ravao"
  # ...but it reaches the control socket, as a member of ravao-ctl.
  "${as_web[@]}" /usr/bin/ravaoctl --config /etc/ravao/ravao.toml ping >/dev/null ||
    fail "the user ravao-web cannot reach ravaod's control socket"
  kill -TERM "$web_pid"
  local rc=0
  wait "$web_pid" || rc=$?
  web_pid=
  [ "$rc" = 0 ] || { cat "$work/ravao-web.out" >&2; fail "ravao-web exited with $rc after SIGTERM"; }
}

# Runs the installed ravaod as the user ravao in the foreground, as systemd
# would (NOTIFY_SOCKET, WATCHDOG_USEC), until READY=1, STATUS= and WATCHDOG=1
# have arrived; asks it for its status with the installed ravaoctl, as root,
# as a member of the group ravao-ctl and as a user outside it (refused); checks
# that the member cannot reach the store or a scanner (audit 9); stops it
# with SIGTERM and expects STOPPING=1 and exit status 0.
# With "userns", ravaod runs in a user namespace of its own where only the
# user ravao is mapped, as under the unit's PrivateUsers=yes: every client
# then shows to it as the overflow uid.
run_daemon() {
  # Where systemd runs, the package started the service: it holds the
  # control socket, so it stops for the foreground run.
  if [ -d /run/systemd/system ]; then
    systemctl is-active ravao.service || true
    systemctl stop ravao.service || true
  fi
  local tag=$1 userns=${2:-} sock=$work/notify-$1.sock log=$work/notify-$1.log
  local wrap=()
  [ -n "$userns" ] && wrap=(unshare --user --map-user=ravao --map-group=ravao --)
  rm -f "$sock" "$log"
  python3 "$root/tests/packaging/notify_listener.py" "$sock" "$log" &
  local listener=$!
  listeners+=("$listener")
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || fail "notify listener did not start"
  setpriv --reuid=ravao --regid=ravao --init-groups "${wrap[@]}" \
    env NOTIFY_SOCKET="$sock" WATCHDOG_USEC=2000000 /usr/sbin/ravaod --config /etc/ravao/ravao.toml \
    >"$work/ravaod-$tag.out" 2>&1 &
  daemon_pid=$!
  local ok=
  for _ in $(seq 600); do
    if grep -qx READY=1 "$log" 2>/dev/null && grep -q '^STATUS=' "$log" && grep -qx WATCHDOG=1 "$log"; then
      ok=1; break
    fi
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    cat "$work/ravaod-$tag.out" "$log" >&2 || true
    fail "($tag) no READY=1 + STATUS= + WATCHDOG=1 from the installed ravaod within 60 s"
  fi
  grep -m1 '^STATUS=' "$log"
  [ "$(stat -c '%U:%G %a' /run/ravao/ravaod.sock)" = "ravao:ravao-ctl 660" ] ||
    fail "($tag) control socket is $(stat -c '%U:%G %a' /run/ravao/ravaod.sock)"
  /usr/bin/ravaoctl --config /etc/ravao/ravao.toml status
  local as_staff=(setpriv --reuid=ravaotest --regid=ravaotest --init-groups)
  "${as_staff[@]}" /usr/bin/ravaoctl --config /etc/ravao/ravao.toml status ||
    fail "($tag) a member of the group ravao-ctl cannot run ravaoctl status"
  # audit 9: the control group reaches the socket and nothing else: not the
  # store, not a scanner's or printer's device node.
  ! "${as_staff[@]}" ls /var/lib/ravao >/dev/null 2>&1 ||
    fail "($tag) audit 9: a member of ravao-ctl can list /var/lib/ravao"
  ! "${as_staff[@]}" cat /var/lib/ravao/ravao.db >/dev/null 2>&1 ||
    fail "($tag) audit 9: a member of ravao-ctl can read the store"
  local node
  for node in /dev/ravao/* /dev/bus/usb/*/* /dev/usb/lp* /dev/ttyACM* /dev/ttyUSB*; do
    [ -e "$node" ] && [ "$(stat -L -c %G "$node")" = ravao ] || continue
    ! "${as_staff[@]}" sh -c 'exec 3<>"$1"' sh "$node" 2>/dev/null ||
      fail "($tag) audit 9: a member of ravao-ctl can open the device $node"
  done
  local rc=0
  setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/ravaoctl --config /etc/ravao/ravao.toml ping || rc=$?
  [ "$rc" = 4 ] || fail "($tag) a user outside the group ravao-ctl got exit status $rc from ravaoctl, expected 4 (permission denied)"
  if [ -z "$userns" ]; then
    # audit 10: past the file modes (opened up for this check), the real
    # user nobody still meets the daemon's own check, outside a user
    # namespace: refused, not taken for a client from outside one.
    chmod 2711 /run/ravao
    chmod 0666 /run/ravao/ravaod.sock
    rc=0
    setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/ravaoctl --config /etc/ravao/ravao.toml ping 2>"$work/nobody.err" || rc=$?
    chmod 2710 /run/ravao
    chmod 0660 /run/ravao/ravaod.sock
    [ "$rc" = 4 ] && grep -q "not in the control socket's group" "$work/nobody.err" ||
      fail "($tag) audit 10: the user nobody, past the file modes, got exit status $rc from ravaoctl: $(cat "$work/nobody.err")"
  fi
  if [ "$tag" = first ]; then run_web; fi
  kill -TERM "$daemon_pid"
  rc=0
  wait "$daemon_pid" || rc=$?
  daemon_pid=
  [ "$rc" = 0 ] || { cat "$work/ravaod-$tag.out" >&2; fail "($tag) ravaod exited with $rc after SIGTERM"; }
  for _ in $(seq 50); do grep -qx STOPPING=1 "$log" && break; sleep 0.1; done
  grep -qx STOPPING=1 "$log" || fail "($tag) no STOPPING=1"
  kill "$listener" 2>/dev/null || true
  wait "$listener" 2>/dev/null || true
}

step "run the installed ravaod in the foreground"
# A member of the group ravao-ctl, as the staff who use ravaoctl are
# (`adduser USER ravao-ctl`), and of no other group of ravao (audit 9).
useradd --system --no-create-home --shell /usr/sbin/nologin --user-group --groups ravao-ctl ravaotest
! id -nG ravaotest | tr ' ' '\n' | grep -qx ravao || fail "audit 9: the staff user is in the device group ravao"
run_daemon first
[ -f /var/lib/ravao/ravao.db ] || fail "no store in /var/lib/ravao after the first run"
[ "$(stat -c '%U %a' /var/lib/ravao/ravao.db)" = "ravao 600" ] ||
  fail "store is $(stat -c '%U %a' /var/lib/ravao/ravao.db), expected ravao 600 (UMask)"
stream=$(sqlite3 /var/lib/ravao/ravao.db "SELECT value FROM meta WHERE key='stream'")
[ -n "$stream" ] || fail "the store has no stream id"

step "upgrade to ${version}+upgradetest: store, console state and local config edits kept"
sed -i 's/^name = .*/name = "Bưu điện văn hoá xã (sửa tại chỗ)"/' /etc/ravao/ravao.toml
sed -i 's/^session_idle = .*/session_idle = "20m"/' /etc/ravao/web.toml
web_state=$(cd /var/lib/ravao-web && find . -type f -print0 | sort -z | xargs -0 sha256sum)
repack=$work/repack
dpkg-deb -R "$deb" "$repack"
sed -i "s/^Version: .*/Version: ${version}+upgradetest/" "$repack/DEBIAN/control"
dpkg-deb -b "$repack" "$work/ravao_upgrade.deb" >/dev/null
# ravao-web depends on the same version of ravao: both are upgraded.
web_repack=$work/web-repack
dpkg-deb -R "$web_deb" "$web_repack"
sed -i -e "s/^Version: .*/Version: ${version}+upgradetest/" \
       -e "s/ravao (= ${version})/ravao (= ${version}+upgradetest)/" "$web_repack/DEBIAN/control"
dpkg-deb -b "$web_repack" "$work/ravao-web_upgrade.deb" >/dev/null
# A member of the group ravao, as earlier versions told admins to make the
# staff: the upgrade does not move them, it names them (docs/install.md).
gpasswd -a ravaotest ravao >/dev/null
dpkg -i "$work/ravao_upgrade.deb" "$work/ravao-web_upgrade.deb" 2>&1 | tee "$work/upgrade.log"
grep -q 'the group ravao has members: ravaotest' "$work/upgrade.log" ||
  fail "audit 9: the upgrade did not tell about the members of the group ravao"
id -nG ravaotest | tr ' ' '\n' | grep -qx ravao || fail "the upgrade silently removed ravaotest from the group ravao"
gpasswd -d ravaotest ravao >/dev/null
[ "$(dpkg-query -W -f='${Version}' ravao)" = "${version}+upgradetest" ] || fail "upgrade did not install"
grep -q 'sửa tại chỗ' /etc/ravao/ravao.toml || fail "the upgrade replaced the locally edited conffile"
[ "$(dpkg-query -W -f='${Version}' ravao-web)" = "${version}+upgradetest" ] || fail "the upgrade did not install ravao-web"
grep -qx 'session_idle = "20m"' /etc/ravao/web.toml || fail "the upgrade replaced the locally edited web.toml"
[ "$(cd /var/lib/ravao-web && find . -type f -print0 | sort -z | xargs -0 sha256sum)" = "$web_state" ] ||
  fail "the upgrade changed the console's state (accounts, certificate) in /var/lib/ravao-web"
[ "$(sqlite3 /var/lib/ravao/ravao.db "SELECT value FROM meta WHERE key='stream'")" = "$stream" ] ||
  fail "the upgrade did not keep the store"
# The PrivateUsers= emulation needs unprivileged user namespaces; a kernel
# that forbids them gets the plain run, and says so.
if setpriv --reuid=ravao --regid=ravao --init-groups unshare --user --map-user=ravao --map-group=ravao -- true 2>/dev/null; then
  run_daemon upgraded userns
else
  echo "note: no unprivileged user namespaces on this kernel: the PrivateUsers= run is replaced by a plain one"
  run_daemon upgraded
fi
userdel ravaotest

step "remove: configuration and store stay"
dpkg --remove ravao-web ravao
[ ! -e /usr/sbin/ravaod ] || fail "ravaod still installed after remove"
[ ! -e /usr/sbin/ravao-web ] || fail "ravao-web still installed after remove"
[ -f /etc/ravao/ravao.toml ] || fail "remove deleted the configuration"
[ -f /etc/ravao/web.toml ] || fail "remove deleted the console's configuration"
[ -d /var/lib/ravao-web ] || fail "remove deleted the console's state"
[ -f /var/lib/ravao/ravao.db ] || fail "remove deleted the store"

step "purge: everything the package created is gone"
rm /etc/ravao-receiver/server.pem /etc/ravao-receiver/server.key /etc/ravao-receiver/client-ca.pem
dpkg --purge ravao-web ravao ravao-receiver
for p in /etc/ravao/ravao.toml /var/lib/ravao /run/ravao /lib/systemd/system/ravao.service \
         /etc/systemd/system/multi-user.target.wants/ravao.service /etc/ravao/web.toml /var/lib/ravao-web \
         /lib/systemd/system/ravao-web.service /etc/systemd/system/multi-user.target.wants/ravao-web.service \
         /usr/bin/ravao-receiver \
         /lib/systemd/system/ravao-receiver.service /etc/default/ravao-receiver /var/lib/ravao-receiver \
         /etc/ravao-receiver; do
  [ ! -e "$p" ] || fail "$p is still there after purge"
done
! getent passwd ravao >/dev/null || fail "user ravao still there after purge"
! getent passwd ravao-receiver >/dev/null || fail "user ravao-receiver still there after purge"
! getent passwd ravao-web >/dev/null || fail "user ravao-web still there after purge"
! getent group ravao-web >/dev/null || fail "group ravao-web still there after purge"
! getent group ravao >/dev/null || fail "group ravao still there after purge"
! getent group ravao-ctl >/dev/null || fail "group ravao-ctl still there after purge"
if dpkg-query -W -f='${Status}' ravao 2>/dev/null | grep -q 'ok'; then
  [ "$(dpkg-query -W -f='${Status}' ravao)" = "unknown ok not-installed" ] || fail "dpkg still knows ravao"
fi

echo
echo "deb package test: passed (exposure: ravao.service $score, ravao-web.service $web_score, ravao-receiver.service $receiver_score)"
