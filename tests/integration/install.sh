#!/bin/sh
# `make install DESTDIR=...` as a packager runs it: exactly the files an
# operator needs (the program, the configuration and taxonomy, the man
# pages, the systemd units), with the configured paths filled in; an
# install over an edited configuration keeps the edit; uninstall removes
# what is ours and leaves the edit. TAP output.
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
show() { printf '%s\n' "$1" | sed 's/^/#   /'; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/dest
# make as a packager runs it, not as a child of the make running the tests
# (whose flags would add "Entering directory" lines and its jobserver)
MAKE_ALONE="env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory"

# The directories as configure set them, expanded by make itself.
dirs=$(printf 'print-dirs:\n\t@echo "$(bindir)|$(pkgsysconfdir)|$(mandir)|$(systemdsystemunitdir)"\n' |
	$MAKE_ALONE -C "$top_builddir" -f Makefile -f - print-dirs) || exit 99
bindir=${dirs%%|*}; rest=${dirs#*|}
confdir=${rest%%|*}; rest=${rest#*|}
mandir=${rest%%|*}; unitdir=${rest#*|}

$MAKE_ALONE -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install.log" 2>&1
ok $? "make install DESTDIR= succeeds"
[ $? -eq 0 ] || show "$(tail -20 "$tmp/install.log")"

expected="$bindir/feedmill
$confdir/feedmill.conf
$confdir/fields.conf
$confdir/fields.model
$mandir/man5/feedmill.conf.5
$mandir/man8/feedmill.8"
if [ -n "$unitdir" ]; then
	expected="$expected
$unitdir/feedmill.service
$unitdir/feedmill.socket"
fi
printf '%s\n' "$expected" | sort >"$tmp/expected"
(cd "$dest" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$tmp/got"
cmp -s "$tmp/expected" "$tmp/got"
ok $? "installs exactly the program, configuration, taxonomy, model, man pages${unitdir:+ and units}"
cmp -s "$tmp/expected" "$tmp/got" || show "$(diff "$tmp/expected" "$tmp/got")"

"$dest$bindir/feedmill" --version | grep -q '^feedmill [0-9]'
ok $? "the installed program runs"

# Nothing under DESTDIR may point back into it: the paths are the real ones.
! grep -rl "$dest" "$dest" >"$tmp/leaks" 2>/dev/null
ok $? "no installed file names the DESTDIR"
[ -s "$tmp/leaks" ] && show "$(cat "$tmp/leaks")"

# The example configuration works as installed, with the installed
# taxonomy (its default path is the real sysconfdir, not yet there).
cp "$dest$confdir/feedmill.conf" "$tmp/check.conf"
printf '\n[feedmill]\nfields = %s\n' "$dest$confdir/fields.conf" >>"$tmp/check.conf"
"$FEEDMILL" check-config -c "$tmp/check.conf" >"$tmp/check.out" 2>&1
ok $? "the installed feedmill.conf passes check-config with the installed fields.conf"
grep -q '23 fields' "$tmp/check.out" || show "$(cat "$tmp/check.out")"
grep -q '^state_dir *= */var/lib/feedmill$' "$dest$confdir/feedmill.conf"
ok $? "the installed feedmill.conf keeps its state where the unit's StateDirectory= is"

if [ -n "$unitdir" ]; then
	grep -qx "ExecStart=$bindir/feedmill run -c $confdir/feedmill.conf" \
		"$dest$unitdir/feedmill.service"
	ok $? "feedmill.service starts $bindir/feedmill with $confdir/feedmill.conf"
	grep -n '^ExecStart' "$dest$unitdir/feedmill.service" | sed 's/^/#   /'
	# ConfigurationDirectory= names /etc/feedmill: only when that is it
	if [ "$confdir" = /etc/feedmill ]; then
		grep -qx 'ConfigurationDirectory=feedmill' "$dest$unitdir/feedmill.service"
	else
		! grep -q '^ConfigurationDirectory=' "$dest$unitdir/feedmill.service"
	fi
	ok $? "feedmill.service has ConfigurationDirectory= exactly when the configuration is in /etc/feedmill"
fi

# Edited by the operator, then installed over: the edit stays.
echo "; edited by the operator" >>"$dest$confdir/feedmill.conf"
$MAKE_ALONE -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install2.log" 2>&1 &&
	grep -q "edited by the operator" "$dest$confdir/feedmill.conf"
ok $? "installing again keeps an edited feedmill.conf"
grep -q "keeping $dest$confdir/feedmill.conf" "$tmp/install2.log"
ok $? "and says so"

# The model: replaced beside our taxonomy (an older model stands in for the
# one an earlier version installed) ...
echo "# from an older version" >>"$dest$confdir/fields.model"
$MAKE_ALONE -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install3.log" 2>&1 &&
	cmp -s "$top_srcdir/conf/fields.model" "$dest$confdir/fields.model"
ok $? "installing again replaces fields.model while fields.conf is the shipped one"
# ... kept beside a taxonomy the operator edited, which it was trained for
echo "; edited by the operator" >>"$dest$confdir/fields.conf"
echo "# trained by the operator" >>"$dest$confdir/fields.model"
$MAKE_ALONE -C "$top_builddir" install DESTDIR="$dest" >"$tmp/install4.log" 2>&1 &&
	grep -q "trained by the operator" "$dest$confdir/fields.model" &&
	grep -q "edited by the operator" "$dest$confdir/fields.conf"
ok $? "installing again beside an edited fields.conf keeps both it and its fields.model"
grep -q "keeping $dest$confdir/fields.model" "$tmp/install4.log"
ok $? "and says so"
show "$(grep keeping "$tmp/install4.log")"

$MAKE_ALONE -C "$top_builddir" uninstall DESTDIR="$dest" >"$tmp/uninstall.log" 2>&1
ok $? "make uninstall DESTDIR= succeeds"
(cd "$dest" && find . -type f -o -type l) | sed 's|^\.||' | sort >"$tmp/left"
printf '%s\n' "$confdir/feedmill.conf" "$confdir/fields.conf" "$confdir/fields.model" |
	sort >"$tmp/left.expected"
cmp -s "$tmp/left.expected" "$tmp/left"
ok $? "uninstall removes everything but the operator's feedmill.conf, fields.conf and fields.model"
show "$(cat "$tmp/left")"

echo "1..$n"
exit $fail
