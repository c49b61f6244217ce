#!/bin/sh
# make lint: the house style's checkable parts. 80 columns in C, no
# stray to-do markers (known limits go in docs/LIMITATIONS.md),
# clean man pages.
set -u
cd "$(dirname "$0")/.."
status=0

# Columns as an editor shows them: a tab runs to the next multiple of 8.
wide=$(git ls-files '*.c' '*.h' | xargs awk '{
	n = 0
	for (i = 1; i <= length($0); i++)
		n = substr($0, i, 1) == "\t" ? n - n % 8 + 8 : n + 1
	if (n > 80) print FILENAME ":" FNR ": " n " columns" }')
if [ -n "$wide" ]; then
	echo "$wide"
	status=1
fi

marks=$(git ls-files '*.c' '*.h' '*.sh' '*.py' |
	xargs grep -nE '\b(T[O]DO|F[I]XME|X[X]X)\b' 2>/dev/null)
if [ -n "$marks" ]; then
	echo "$marks"
	status=1
fi

for m in docs/man/*.1; do
	mandoc -Tlint -W warning "$m" 2>&1 | grep -v 'mandoc.db' && status=1
done

[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
