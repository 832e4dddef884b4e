#!/bin/sh
# check-config and import-opml as a user runs them: every problem of a bad
# file reported at once as file:line, includes, the bundled demo, and an
# OPML export turned into sources that check-config accepts. TAP output.
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }
show() { sed 's/^/#   /' "$@"; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/config.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
fix="$top_srcdir/tests/fixtures"

cd "$fix/conf" || exit 99
out=$("$FEEDMILL" check-config -c good.conf 2>&1)
[ $? -eq 0 ] && [ "$out" = "good.conf: ok, 4 sources, 1 digest
../../../conf/fields.conf: ok, 23 fields, model ../../../conf/fields.model" ]
ok $? "a good configuration with includes passes, and its taxonomy: $out"

"$FEEDMILL" check-config -c bad.conf >/dev/null 2>"$tmp/bad.err"
status=$?
[ $status -eq 1 ]
ok $? "a bad configuration exits 1"
diff bad.expected "$tmp/bad.err" >"$tmp/bad.diff"
ok $? "every problem of bad.conf is reported, each as file:line: message" || show "$tmp/bad.diff"

cd "$tmp" || exit 99
long=$(printf 'x%.0s' $(seq 1 250))
printf '[feedmill]\ninterval = 1h\n[source long]\nurl = https://example.org/%s\n' "$long" >long.conf
"$FEEDMILL" check-config -c long.conf 2>"$tmp/err" >/dev/null
[ $? -eq 1 ] && grep -q "^long.conf:4: line longer than" "$tmp/err"
ok $? "a line too long for the INI parser is an error at its line, not a truncated value" || show "$tmp/err"

printf '[feedmill]\ninclude = loop.conf\n' >loop.conf
"$FEEDMILL" check-config -c loop.conf 2>"$tmp/err" >/dev/null
[ $? -eq 1 ] && grep -q "^loop.conf:2: 'loop.conf' includes itself" "$tmp/err"
ok $? "a file that includes itself is an error, not a hang" || show "$tmp/err"

# nine files a level, each including all nine of the next, six levels
# deep: 9^6 reads without a cap on the files a configuration may include
for d in 0 1 2 3 4 5; do
	mkdir -p "fan/L$d"
	for i in 0 1 2 3 4 5 6 7 8; do
		if [ $d -lt 5 ]; then
			printf 'include = ../L%d/*.conf\n' $((d + 1)) >"fan/L$d/f$i.conf"
		else
			printf '; a leaf\n' >"fan/L$d/f$i.conf"
		fi
	done
done
printf '[feedmill]\ninclude = fan/L0/*.conf\n' >fanout.conf
timeout 20 "$FEEDMILL" check-config -c fanout.conf >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "more than 256 configuration files included" "$tmp/err"
ok $? "a fan of includes is cut off at 256 files, in bounded time" || show "$tmp/err"

mkfifo fifo.conf
printf '[feedmill]\ninclude = fifo.conf\n' >with-fifo.conf
timeout 20 "$FEEDMILL" check-config -c with-fifo.conf >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "include 'fifo.conf' is not a regular file" "$tmp/err"
ok $? "including a FIFO is an error, not a hang" || show "$tmp/err"

"$FEEDMILL" check-config -c "$tmp/none.conf" 2>"$tmp/err" >/dev/null
[ $? -eq 1 ] && grep -q "none.conf: cannot read: No such file or directory" "$tmp/err"
ok $? "a missing configuration file is named" || show "$tmp/err"

printf '[source a]\nurl = https://example.org/a\n\n[source b]\n' >empty-section.conf
"$FEEDMILL" check-config -c empty-section.conf 2>"$tmp/err" >/dev/null
[ $? -eq 1 ] && grep -q "^empty-section.conf:4: source 'b' has no url" "$tmp/err"
ok $? "a source section with no keys at all is still checked" || show "$tmp/err"

sed -e "s|@DEMO_DIR@|$top_srcdir/conf/demo|g" \
	-e "s|^fields *= *conf/fields.conf|fields = $top_srcdir/conf/fields.conf|" \
	"$top_srcdir/conf/demo.conf" >demo.conf
"$FEEDMILL" check-config -c demo.conf >"$tmp/out" 2>&1
ok $? "the bundled demo configuration passes" || show "$tmp/out"

cd "$fix/opml" || exit 99
"$FEEDMILL" import-opml subscriptions.opml >"$tmp/import.conf" 2>"$tmp/err"
[ $? -eq 0 ]
ok $? "import-opml reads an export with folders"
diff subscriptions.expected "$tmp/import.conf" >"$tmp/opml.diff"
ok $? "it prints one [source] per feed, named from titles, folders as comments" || show "$tmp/opml.diff"
[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "skipping outline 'Local?file'" "$tmp/err"
ok $? "a non-web feed URL is skipped with a warning, control characters escaped" || show "$tmp/err"

printf '[feedmill]\ninterval = 1h\nfields = %s\ninclude = import.conf\n' \
	"$top_srcdir/conf/fields.conf" >"$tmp/with-import.conf"
out=$("$FEEDMILL" check-config -c "$tmp/with-import.conf" 2>&1)
[ $? -eq 0 ] && echo "$out" | grep -q "ok, 4 sources"
ok $? "what import-opml prints is a configuration check-config accepts" || echo "# $out"

printf '<opml version="2.0"><body><outline text="a" xmlUrl="https://a.example/rss"/><outline' >"$tmp/broken.opml"
"$FEEDMILL" import-opml "$tmp/broken.opml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "broken.opml" "$tmp/err" &&
	grep -q "^url = https://a.example/rss" "$tmp/out"
ok $? "a broken OPML file: one error naming it, the outlines before it kept" || show "$tmp/err"

echo "1..$n"
exit $fail
