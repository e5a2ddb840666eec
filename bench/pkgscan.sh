#!/usr/bin/env bash
# Benchmark `assay inspect` on a synthetic site-packages tree of ~50,000 files
# / ~1 GB, and compare with the time to just read the same bytes.
# Usage: bench/pkgscan.sh [TREE_DIR]   (default /tmp/assay-bench-site)
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-/tmp/assay-bench-site}
if [ ! -d "$tree" ]; then
  mkdir -p "$tree"
  ASSAY_BENCH_OUT="$tree" go test -count=1 -run '^TestGenBenchTree$' -v ./internal/pkgscan | grep wrote
fi
go build -o /tmp/assay-bench ./cmd/assay
echo "files: $(find "$tree" -type f | wc -l), bytes: $(du -sb "$tree" | cut -f1)"
echo "== warm the page cache, then: read every byte (cat)"
find "$tree" -type f -print0 | xargs -0 cat > /dev/null
/usr/bin/time -f "cat: %e s wall, %U s user, %S s sys" bash -c "find '$tree' -type f -print0 | xargs -0 cat > /dev/null"
echo "== assay inspect"
/usr/bin/time -f "assay inspect: %e s wall, %U s user, %S s sys, %M KB max RSS" /tmp/assay-bench inspect "$tree" -q --fail-on none
