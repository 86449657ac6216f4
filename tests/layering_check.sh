#!/usr/bin/env bash
# The layering over the sources: every #include "<folder>/…" in src/<layer>/ names a layer that layer may use.
# The build enforces the same rules (each library's include root exposes only its linked layers); this check
# also names every offending line at once, and catches a header no source of its layer includes.
#   tests/layering_check.sh [SRC_DIR]   (default: src beside this script)
set -euo pipefail
src=${1:-"$(dirname "$0")/../src"}

declare -A allowed=(
  [core]="core"
  [db]="core db"
  [store]="core db store"
  [connectors]="core db connectors"
  [engine]="core db store connectors engine"
  [api]="core db store connectors engine api"
  [cli]="core db store connectors engine api cli"
)

status=0
for layer in "${!allowed[@]}"; do
  [[ -d "$src/$layer" ]] || continue
  while IFS=: read -r file line include; do
    used=""
    [[ $include =~ ^#include\ \"([^/\"]+)/ ]] && used=${BASH_REMATCH[1]}
    if [[ " ${allowed[$layer]} " != *" $used "* ]]; then
      echo "$file:$line: $layer may include only ${allowed[$layer]}: $include"
      status=1
    fi
  done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^/"]+/' "$src/$layer" --include='*.h' --include='*.cpp' \
             | sed -E 's@^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*@\1:\2:#include @')
done
# A folder of src/ that is no layer would escape the rules.
for dir in "$src"/*/; do
  name=$(basename "$dir")
  if [[ -z "${allowed[$name]+x}" ]]; then
    echo "$dir: not a layer this check knows (add it to tests/layering_check.sh and CMakeLists.txt)"
    status=1
  fi
done
[[ $status -eq 0 ]] && echo "layering ok: ${!allowed[*]}"
exit $status
