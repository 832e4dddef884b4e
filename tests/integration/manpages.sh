#!/bin/sh
# The man pages are part of the interface: they must render without a
# warning from mandoc's linter. TAP output.
n=0
fail=0
for page in "$top_srcdir"/man/*.[0-9]; do
	n=$((n + 1))
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	if [ $? -eq 0 ] && [ -z "$out" ]; then
		echo "ok $n - $(basename "$page") passes mandoc -T lint"
	else
		echo "not ok $n - $(basename "$page") passes mandoc -T lint"
		printf '%s\n' "$out" | sed 's/^/#   /'
		fail=1
	fi
done
echo "1..$n"
exit $fail
