#!/bin/sh
# The command line as a user meets it: version, help, usage errors and their
# exit statuses (feedmill(8), EXIT STATUS). TAP output.
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

out=$("$FEEDMILL" --version)
[ $? -eq 0 ] && echo "$out" | grep -Eq '^feedmill [0-9]+\.[0-9]+\.[0-9]+$'
ok $? "--version prints 'feedmill X.Y.Z' and exits 0"

"$FEEDMILL" --help >"$tmp/help" 2>&1
[ $? -eq 0 ] && grep -q 'parse' "$tmp/help"
ok $? "--help lists the parse command and exits 0"

"$FEEDMILL" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q usage "$tmp/err"
ok $? "no command is a usage error (exit 2)"

"$FEEDMILL" frobnicate >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown command 'frobnicate'" "$tmp/err"
ok $? "an unknown command is named and is a usage error (exit 2)"

"$FEEDMILL" parse >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q usage "$tmp/err"
ok $? "parse without files is a usage error (exit 2)"

"$FEEDMILL" parse --frob x >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "unknown option '--frob'" "$tmp/err"
ok $? "parse with an unknown option names it (exit 2)"

"$FEEDMILL" parse "$tmp/no-such-file.xml" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot open '.*no-such-file.xml'" "$tmp/err"
ok $? "a missing file: 'cannot open' naming it (exit 1)"

printf '<rss version="2.0"><channel><title>T</title><item><title>From stdin</title></item></channel></rss>' |
	"$FEEDMILL" parse --json - >"$tmp/out"
[ $? -eq 0 ] && grep -q '"title":"From stdin"' "$tmp/out"
ok $? "'-' reads standard input"

printf '<rss version="2.0"><channel><item><title>bad\033]0;x\007name</title></channel></rss>' >"$tmp/$(printf 'evil\033[31m.xml')"
"$FEEDMILL" parse "$tmp"/evil* >/dev/null 2>"$tmp/err"
! grep -q "$(printf '\033')" "$tmp/err"
ok $? "control characters in a file name do not reach the terminal"

echo "1..$n"
exit $fail
