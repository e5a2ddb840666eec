#!/usr/bin/env bash
# Compares assay's pickle opcode walker with Python's own pickletools.genops
# (which only parses, never executes) on the same 1,000 small pickles.
#
#   bench/pickle_vs_python.sh            # from the repository root
#
# 1. python3 WRITES 1,000 pickles (protocols 0-5; config dicts, token lists,
#    sklearn/torch-shaped objects via stand-in classes) into a temp dir;
# 2. in-memory walk: pickletools.genops over every file (best of 5 rounds)
#    vs BenchmarkWalkPickles (pickle.WalkBytes on both cores) and
#    BenchmarkWalkPicklesOneCore, on the same bytes;
# 3. files on disk: python reading the files + genops vs the scanner run by
#    the engine over the directory (BenchmarkScanFiles1000), and the whole
#    `assay model DIR` process (start-up, every analyzer, JSON output).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

python3 - "$dir" <<'PY'
import collections, os, pickle, random, sys, types
out = sys.argv[1]
rnd = random.Random(42)

def fake_class(module, name):
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        m = ".".join(parts[:i])
        sys.modules.setdefault(m, types.ModuleType(m))
    cls = type(name, (object,), {})
    cls.__module__, cls.__qualname__ = module, name
    setattr(sys.modules[module], name, cls)
    return cls

LR = fake_class("sklearn.linear_model._logistic", "LogisticRegression")
Tok = fake_class("tokenizers", "AddedToken")

def obj(i):
    k = i % 4
    if k == 0:   # training config
        return {"lr": rnd.random(), "epochs": rnd.randint(1, 100), "layers": [rnd.randint(8, 512) for _ in range(rnd.randint(2, 12))],
                "name": "run-%d" % i, "optimizer": {"type": "adamw", "betas": (0.9, 0.999), "eps": 1e-8}}
    if k == 1:   # vocabulary slice
        return {"tok%d" % j: j for j in range(rnd.randint(20, 80))}
    if k == 2:   # estimator-shaped object
        m = LR(); m.__dict__.update({"C": rnd.random(), "coef_": [rnd.random() for _ in range(rnd.randint(5, 40))],
                                     "classes_": ["spam", "ham"], "max_iter": 100})
        return m
    t = collections.OrderedDict()
    for j in range(rnd.randint(3, 15)):
        a = Tok(); a.__dict__.update({"content": "<|t%d|>" % j, "special": True})
        t["layer.%d.weight" % j] = a
    return t

for i in range(1000):
    with open(os.path.join(out, "p%04d.pkl" % i), "wb") as f:
        f.write(pickle.dumps(obj(i), protocol=i % 6))
PY

total=$(du -cb "$dir"/*.pkl | tail -1 | cut -f1)
echo "corpus: 1000 pickles, $total bytes ($dir)"

py=$(python3 - "$dir" <<'PY'
import glob, pickletools, sys, time
files = sorted(glob.glob(sys.argv[1] + "/*.pkl"))
blobs = [open(f, "rb").read() for f in files]
best, bestcpu = 1e9, 1e9
for _ in range(5):
    t, c = time.perf_counter(), time.process_time()
    for b in blobs:
        for _ in pickletools.genops(b):
            pass
    best = min(best, time.perf_counter() - t)
    bestcpu = min(bestcpu, time.process_time() - c)
t = time.perf_counter()
for f in files:
    with open(f, "rb") as fh:
        for _ in pickletools.genops(fh.read()):
            pass
e2e = time.perf_counter() - t
print("%.6f %.6f %.6f" % (best, e2e, bestcpu))
PY
)
read -r py_mem py_e2e py_cpu <<<"$py"

bench=$(ASSAY_PICKLE_DIR="$dir" go test -run '^$' -bench 'WalkPickles|ScanFiles1000' -benchtime=30x ./internal/modelscan | grep '^Benchmark')
echo "$bench"
go_both=$(echo "$bench" | awk '/WalkPickles-/ {print $3/1e9}')
go_one=$(echo "$bench" | awk '/WalkPicklesOneCore/ {print $3/1e9}')
go_cpu=$(echo "$bench" | awk '/WalkPicklesOneCore/ {for (i=1;i<=NF;i++) if ($i=="cpu-ns/op") print $(i-1)/1e9}')
go_files=$(echo "$bench" | awk '/ScanFiles1000/ {print $3/1e9}')

best_e2e=0
if go build -o "$dir/assay" ./cmd/assay; then
best_e2e=1e9
for _ in 1 2 3; do
  s=$(date +%s.%N)
  "$dir/assay" model "$dir" --hash-limit 0 --fail-on none -f json -o /dev/null -q
  e=$(date +%s.%N)
  best_e2e=$(echo "$s $e $best_e2e" | awk '{d=$2-$1; print (d<$3)?d:$3}')
done
else
  echo "(cmd/assay does not build right now; end-to-end comparison skipped)"
fi

awk -v pm="$py_mem" -v pe="$py_e2e" -v gb="$go_both" -v go1="$go_one" -v ge="$best_e2e" -v pc="$py_cpu" -v gc="$go_cpu" -v gf="$go_files" 'BEGIN {
  printf "in-memory walk of 1000 files: python genops %.1f ms | assay 2 cores %.2f ms (%.1fx) | assay 1 core %.2f ms (%.1fx)\n", pm*1000, gb*1000, pm/gb, go1*1000, pm/go1
  printf "CPU time, one core:            python genops %.1f ms | assay %.2f ms (%.1fx)\n", pc*1000, gc*1000, pc/gc
  printf "files on disk (open+read+walk): python genops %.1f ms | assay scanner via engine %.2f ms (%.1fx; adds sha256, format detection, findings)\n", pe*1000, gf*1000, pe/gf
  if (ge > 0) printf "end to end (read files + walk):  python genops %.1f ms | assay model CLI %.1f ms (%.1fx, includes process start, findings, JSON)\n", pe*1000, ge*1000, pe/ge
}'
