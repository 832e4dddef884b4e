#!/bin/sh
# The systemd units are part of the interface: feedmill.service (made from
# systemd/feedmill.service.in the way the build makes it) and
# feedmill.socket must pass `systemd-analyze verify` without a word, and
# the service's sandbox must rate 1.5 or lower in
# `systemd-analyze security`. TAP output.
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
show() { printf '%s\n' "$1" | sed 's/^/#   /'; }

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "1..0 # SKIP systemd-analyze not installed"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/systemd.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# The unit as the build makes it: the program where the tests run it (verify
# checks that ExecStart= names an executable), the configuration in a
# directory of its own.
bindir=$(cd "$(dirname "$FEEDMILL")" && pwd) || exit 99
mkdir "$tmp/etc" "$tmp/units" || exit 99
cp "$top_srcdir/conf/demo.conf" "$tmp/etc/feedmill.conf" || exit 99
# ConfigurationDirectory= as the build writes it for --sysconfdir=/etc
sed -e "s|@bindir@|$bindir|g" -e "s|@pkgsysconfdir@|$tmp/etc|g" \
	-e "s|@CONFIGURATION_DIRECTORY@|ConfigurationDirectory=feedmill|" \
	"$top_srcdir/systemd/feedmill.service.in" >"$tmp/units/feedmill.service" || exit 99
cp "$top_srcdir/systemd/feedmill.socket" "$tmp/units/feedmill.socket" || exit 99
# systemd warns about unit files that are executable or world-writable;
# whatever the umask, these are neither.
chmod 644 "$tmp/units/feedmill.service" "$tmp/units/feedmill.socket"
service=$tmp/units/feedmill.service
socket=$tmp/units/feedmill.socket

# verify runs man(1) on each Documentation= page. The pages are not
# installed yet: point man at the ones in the source tree, so verify checks
# that the pages named are the ones we ship. Without man(1), skip that part.
mkdir "$tmp/man" "$tmp/man/man5" "$tmp/man/man8" || exit 99
cp "$top_srcdir/man/feedmill.8" "$tmp/man/man8/" || exit 99
cp "$top_srcdir/man/feedmill.conf.5" "$tmp/man/man5/" || exit 99
if command -v man >/dev/null 2>&1; then
	manopt=
	mannote="Documentation= pages found"
else
	manopt=--man=no
	mannote="man(1) not installed, Documentation= not checked"
fi

! grep -n '@[A-Za-z_]*@' "$service" >"$tmp/left"
ok $? "feedmill.service.in uses only @bindir@, @pkgsysconfdir@ and @CONFIGURATION_DIRECTORY@"
[ -s "$tmp/left" ] && show "$(cat "$tmp/left")"

# Clean means no output at all: a warning (unknown key, bad value, missing
# program) is printed but does not change the exit status. The log level is
# pinned to systemd's default so a SYSTEMD_LOG_LEVEL=debug in the caller's
# environment does not fill the output. Nothing environmental is filtered:
# on Debian 12 (systemd 252), as root or not, in a container without
# systemd running, verify prints nothing for these units.
for unit in "$service" "$socket"; do
	# The socket is verified with the service next to it, as installed:
	# systemd refuses a socket whose service it cannot find.
	out=$(MANPATH="$tmp/man" SYSTEMD_LOG_LEVEL=info \
		systemd-analyze verify $manopt "$unit" 2>&1)
	[ $? -eq 0 ] && [ -z "$out" ]
	ok $? "systemd-analyze verify $(basename "$unit") is clean ($mannote)"
	[ -n "$out" ] && show "$out"
done

# The exposure score, from "-> Overall exposure level for feedmill.service:
# 1.1 OK :-)" (an arrow and an emoji in a UTF-8 locale). Lower is better,
# from 0.0 to 10.0; systemd calls 1.0 to 4.9 "OK" and below that "SAFE",
# so 1.5 is a bar of our own: only the costs that a daemon fetching from
# any host cannot avoid (network access, AF_UNIX, no RootDirectory=).
out=$(SYSTEMD_LOG_LEVEL=info systemd-analyze security --offline=true "$service" 2>&1)
status=$?
score=$(printf '%s\n' "$out" |
	sed -n 's/.*Overall exposure level for [^:]*: *\([0-9][0-9]*\.[0-9]\).*/\1/p')
[ $status -eq 0 ] && [ -n "$score" ] &&
	awk -v s="$score" 'BEGIN { exit !(s <= 1.5) }'
r=$?
ok $r "systemd-analyze security rates feedmill.service ${score:-(no score)} (at most 1.5)"
if [ $r -ne 0 ]; then
	# the settings that cost exposure (a number ends the line), the
	# summary, and any message that is not a row of the table
	show "$(printf '%s\n' "$out" |
		awk '$NF ~ /^[0-9]+\.[0-9]+$/ || /Overall/ || !/^[^ ]+ +[A-Z]/')"
fi

# What the daemon relies on: sd_notify readiness, reload by SIGHUP and the
# watchdog it pings.
grep -qx 'Type=notify' "$service"
ok $? "feedmill.service is Type=notify"
grep -qx 'ExecReload=/bin/kill -HUP \$MAINPID' "$service"
ok $? "feedmill.service reloads with SIGHUP"
grep -qE '^WatchdogSec=[1-9]' "$service"
ok $? "feedmill.service sets WatchdogSec="
grep -qxF "ExecStart=$bindir/feedmill run -c $tmp/etc/feedmill.conf" "$service"
ok $? "feedmill.service runs 'feedmill run -c' with the installed configuration"
grep -qx 'ListenStream=127.0.0.1:8080' "$socket"
ok $? "feedmill.socket listens on the default listen address"

echo "1..$n"
exit $fail
