#!/bin/sh
# The bundled demo's feeds must parse cleanly: they are the first thing a
# newcomer runs (tools/demo), and a parse error there is a broken first
# impression. TAP output.
set -u
n=0
fail=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi; }

total=0
for f in "$top_srcdir"/conf/demo/*; do
	out=$("$FEEDMILL" parse --json "$f" 2>&1)
	status=$?
	ok "$status" "demo feed $(basename "$f") parses without error"
	count=$(printf '%s\n' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))' 2>/dev/null || echo 0)
	[ "$count" -gt 0 ]
	ok $? "demo feed $(basename "$f") has entries ($count)"
	total=$((total + count))
done
grep -q '@DEMO_DIR@' "$top_srcdir/conf/demo.conf"
ok $? "demo.conf points at the demo feeds through @DEMO_DIR@"
for f in $(sed -n 's|^url *= *file://@DEMO_DIR@/||p' "$top_srcdir/conf/demo.conf"); do
	[ -f "$top_srcdir/conf/demo/$f" ]
	ok $? "demo.conf source file '$f' exists"
done
# What tools/demo starts: the daemon on demo.conf. One poll of it must
# fetch every demo source and every item.
work=$(mktemp -d)
sed -e "s|@DEMO_DIR@|$top_srcdir/conf/demo|g" -e "s|^state_dir *=.*|state_dir = $work/state|" \
	-e "s|^output_dir *=.*|output_dir = $work/state/public|" \
	-e "s|^fields *= *conf/fields.conf|fields = $top_srcdir/conf/fields.conf|" \
	"$top_srcdir/conf/demo.conf" > "$work/demo.conf"
log=$("$FEEDMILL" run --once -c "$work/demo.conf" 2>&1)
ok $? "run --once on the demo configuration exits 0"
fetched=$(printf '%s\n' "$log" | grep -c 'event=fetched source=')
[ "$fetched" -eq 4 ]
ok $? "all four demo sources are fetched ($fetched)"
items=$(printf '%s\n' "$log" | sed -n 's/.* entries=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "$items" = "$total" ]
ok $? "the daemon reads every demo item ($items of $total)"
printf '%s\n' "$log" | grep -q 'event=failed'
[ $? -ne 0 ]
ok $? "no demo source fails"
# demo.conf promises 9 releases out of the 19 items
releases=$(printf '%s\n' "$log" | sed -n 's/.* new=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "$releases" -eq 9 ]
ok $? "the demo's 19 items are 9 releases ($releases)"
entries=$(grep -c '<entry>' "$work/state/public/all.atom" 2>/dev/null)
[ "${entries:-0}" -eq 9 ] && [ -s "$work/state/public/index.html" ]
ok $? "the demo publishes its 9 releases in all.atom, and index.html (${entries:-0})"
rm -rf "$work"
echo "1..$n"
exit $fail
