#!/usr/bin/env bash
# Runs scripts/soak.ts on Deno, Bun and Node, one at a time under nice, with
# the open-file limit raised for 10 000 concurrent connections (the client
# and the ws server each hold one descriptor per connection).
# Usage: bash scripts/soak.sh [deno] [bun] [node] [-- soak.ts options]
set -u
cd "$(dirname "$0")/.."
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 10240 ]; then
  echo "soak: ulimit -n is $(ulimit -n); 10 000 connections need more (raise the hard limit)" >&2
  exit 1
fi
runtimes=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do runtimes+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#runtimes[@]} -eq 0 ] && runtimes=(deno bun node)
bin=node_modules/.bin
status=0
for runtime in "${runtimes[@]}"; do
  case "$runtime" in
    deno) nice "$bin/deno" run -A --v8-flags=--expose-gc scripts/soak.ts "$@" || status=1 ;;
    bun) nice "$bin/bun" scripts/soak.ts "$@" || status=1 ;;
    node) nice "$bin/node" --expose-gc --experimental-strip-types --no-warnings scripts/soak.ts "$@" || status=1 ;;
    *) echo "soak: unknown runtime $runtime" >&2; exit 2 ;;
  esac
done
exit $status
