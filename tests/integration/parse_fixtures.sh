#!/bin/sh
# TAP test: feedmill parse --json against the fixtures in tests/fixtures/parse.
#
# For every NAME.xml there, runs
#   $FEEDMILL parse --json --base http://example.org/feeds/feed.xml NAME.xml
# and compares its output with NAME.json as JSON values (python3). Fixtures
# named bad-* are broken feeds: they must exit 1 with exactly one line on
# stderr naming the file (and still print what was read before the break).
# All others must exit 0.
#
# Environment: FEEDMILL (the binary), top_srcdir (the source tree).

: "${top_srcdir:=.}"
: "${FEEDMILL:=./feedmill}"
BASE=http://example.org/feeds/feed.xml
dir="$top_srcdir/tests/fixtures/parse"

# A missing binary or python3 is a failure, never a skip.
if [ ! -x "$FEEDMILL" ] || ! command -v python3 >/dev/null 2>&1; then
	echo "not ok 1 - feedmill ($FEEDMILL) and python3 are there to test"
	echo "1..1"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/parse_fixtures.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

# Compare actual (JSON on stdout of feedmill) with expected; on mismatch print
# a readable diff as TAP comments. Exit 0 when equal.
cat >"$tmp/compare.py" <<'PY'
import difflib, json, sys

exp_path, act_path = sys.argv[1], sys.argv[2]

def comment(lines):
    for line in lines:
        print("# " + line.rstrip("\n"))

try:
    with open(exp_path, encoding="utf-8") as f:
        expected = json.load(f)
except Exception as e:
    comment(["cannot read expected %s: %s" % (exp_path, e)])
    sys.exit(2)
with open(act_path, encoding="utf-8", errors="replace") as f:
    raw = f.read()
try:
    actual = json.loads(raw)
except Exception as e:
    comment(["output is not one JSON value: %s" % e] + raw.splitlines()[:20])
    sys.exit(1)
if actual == expected:
    sys.exit(0)

def pretty(v):
    return json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True).splitlines()

def show(v):
    return json.dumps(v, ensure_ascii=False)

def field_diff(where, exp, act, out):
    """Field by field for objects, else one line per differing value."""
    if isinstance(exp, dict) and isinstance(act, dict):
        for k in list(exp) + [k for k in act if k not in exp]:
            if k not in act:
                out.append("%s.%s: missing (expected %s)" % (where, k, show(exp[k])))
            elif k not in exp:
                out.append("%s.%s: unexpected %s" % (where, k, show(act[k])))
            elif exp[k] != act[k]:
                out.append("%s.%s:" % (where, k))
                out.append("    expected %s" % show(exp[k]))
                out.append("    actual   %s" % show(act[k]))
    elif exp != act:
        out.append("%s:" % where)
        out.append("    expected %s" % show(exp))
        out.append("    actual   %s" % show(act))

if (isinstance(expected, dict) and isinstance(actual, dict) and
        isinstance(expected.get("entries"), list) and
        isinstance(actual.get("entries"), list)):
    out = []
    field_diff("feed", expected.get("feed"), actual.get("feed"), out)
    ee, ae = expected["entries"], actual["entries"]
    if len(ee) != len(ae):
        out.append("entries: expected %d, got %d" % (len(ee), len(ae)))
    for i in range(max(len(ee), len(ae))):
        if i >= len(ae):
            out.append("entry %d: missing: %s" % (i + 1, show(ee[i])))
        elif i >= len(ee):
            out.append("entry %d: unexpected: %s" % (i + 1, show(ae[i])))
        else:
            e = ee[i] if isinstance(ee[i], dict) else {}
            field_diff("entry %d (id %s)" % (i + 1, show(e.get("id"))),
                       ee[i], ae[i], out)
    for k in set(expected) ^ set(actual):
        out.append("top-level key %s only in %s" %
                   (k, "expected" if k in expected else "actual"))
    comment(out)
else:
    comment(difflib.unified_diff(pretty(expected), pretty(actual),
                                 "expected", "actual", lineterm="", n=2))
sys.exit(1)
PY

n=0
fail=0
set -- "$dir"/*.xml
if [ ! -e "$1" ]; then
	echo "1..0 # SKIP no fixtures in $dir"
	exit 0
fi

# Two checks per good fixture (JSON, exit status); three per bad one (stderr).
total=0
for f in "$@"; do
	case $(basename "$f") in
	bad-*) total=$((total + 3)) ;;
	*) total=$((total + 2)) ;;
	esac
done
echo "1..$total"

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	fail=$((fail + 1))
	echo "not ok $n - $1"
}

for f in "$@"; do
	name=$(basename "$f" .xml)
	exp="${f%.xml}.json"
	"$FEEDMILL" parse --json --base "$BASE" "$f" >"$tmp/out" 2>"$tmp/err"
	status=$?

	if [ ! -f "$exp" ]; then
		not_ok "$name: output matches $name.json (expected file missing)"
	elif python3 "$tmp/compare.py" "$exp" "$tmp/out" >"$tmp/diff"; then
		ok "$name: output matches $name.json"
	else
		not_ok "$name: output matches $name.json"
		cat "$tmp/diff"
	fi

	case $name in
	bad-*)
		if [ "$status" -eq 1 ]; then
			ok "$name: exit status 1"
		else
			not_ok "$name: exit status 1"
			echo "# exit status was $status"
		fi
		lines=$(wc -l <"$tmp/err" | tr -d ' ')
		if [ "$lines" -eq 1 ] && grep -F -q -- "$f" "$tmp/err"; then
			ok "$name: one line on stderr naming the file"
		else
			not_ok "$name: one line on stderr naming the file"
			echo "# stderr ($lines lines):"
			sed 's/^/#   /' "$tmp/err"
		fi
		;;
	*)
		if [ "$status" -eq 0 ]; then
			ok "$name: exit status 0"
		else
			not_ok "$name: exit status 0"
			echo "# exit status was $status; stderr:"
			sed 's/^/#   /' "$tmp/err"
		fi
		;;
	esac
done

[ "$fail" -eq 0 ]
