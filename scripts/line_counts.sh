#!/usr/bin/env bash
# Lines of code, configuration and contracts per folder at a git revision, and the five
# largest Python and SQL files outside tests/: the figures a redesign's closing note gives.
#     bash scripts/line_counts.sh 921f907; bash scripts/line_counts.sh HEAD
# Folders under penal_hub/ count apart; before the package (2e012cb) they were top-level.
set -euo pipefail
rev=${1:-HEAD}
git ls-tree -r --name-only "$rev" | grep -E '\.(py|sql|yml|yaml|xsd|json)$' \
    | grep -v '^bench/results.json$' | while read -r file; do
  case "$file" in
    penal_hub/*/*) folder=$(cut -d/ -f1-2 <<<"$file");;
    */*) folder=$(cut -d/ -f1 <<<"$file");;
    *) folder=.;;
  esac
  echo "$folder $(git show "$rev:$file" | wc -l) $file"
done > "${TMPDIR:-/tmp}/line_counts.$$"
awk '{lines[$1] += $2} END {for (f in lines) printf "%-26s %6d\n", f, lines[f]}' \
    "${TMPDIR:-/tmp}/line_counts.$$" | sort
echo "largest:"
grep -E '\.(py|sql)$' "${TMPDIR:-/tmp}/line_counts.$$" | grep -v '^tests ' | sort -k2 -n -r \
    | head -5 | awk '{printf "  %6d %s\n", $2, $3}'
rm "${TMPDIR:-/tmp}/line_counts.$$"
