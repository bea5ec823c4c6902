#!/usr/bin/env bash
# The prepared GPU run: one command, under 8 minutes on the lent machine (an NVIDIA H200).
#
# Here, once (needs a registry):   bash benchmarks/gpu/fetch_wheels.sh
# There, through the device tool:  run(command="bash benchmarks/gpu/run.sh",
#                                      carry=["benchmarks/gpu/wheels"], timeout_s=540)
#
# 1. installs the carried wheels (array-api-compat, array-api-strict, pyro) into /tmp/site;
# 2. runs the test matrix with the accelerator variants of the `be`/`xp` fixture
#    (torch-cuda, jax-gpu, jax-gpu-jit, cupy: present wherever a GPU is), JUnit XML out;
# 3. benchmarks relaxarray against the native calls at (8, 10), (4096, 1024), (64, 50257);
# 4. writes one results file, $OUT/gpu_results.json (or benchmarks/results/gpu/ without $OUT).
#
# Without a GPU the same command skips the accelerator parts and still writes its file.
# Knobs: RELAXARRAY_GPU_TESTS (pytest arguments; default: the whole suite),
# RELAXARRAY_GPU_TEST_TIMEOUT (seconds, default 300), RELAXARRAY_GPU_BENCH_BUDGET (default 150),
# RELAXARRAY_GPU_QUICK=1 (few repeats), RELAXARRAY_GPU_WORKERS (pytest-xdist workers, default 8).
set -u
cd "$(dirname "$0")/../.."
PY=${PYTHON:-$(command -v python3 || command -v python)}
DEST=${OUT:-benchmarks/results/gpu}
mkdir -p "$DEST"
LOG="$DEST/gpu_run.log"
: > "$LOG"
say() { echo "[run.sh] $*" | tee -a "$LOG"; }
start=$(date +%s)

# 1. carried wheels (no network there): only what the machine lacks
if ls benchmarks/gpu/wheels/*.whl >/dev/null 2>&1; then
    missing=()
    for w in benchmarks/gpu/wheels/*.whl; do
        mod=$(basename "$w" | cut -d- -f1)
        case "$mod" in pyro_ppl) mod=pyro ;; pyro_api) mod=pyroapi ;; esac
        "$PY" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('${mod}') is None)" \
            || missing+=("$w")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target /tmp/relaxarray-site "${missing[@]}" >>"$LOG" 2>&1 \
            && export PYTHONPATH="/tmp/relaxarray-site${PYTHONPATH:+:$PYTHONPATH}"
    fi
else
    say "no carried wheels in benchmarks/gpu/wheels (run fetch_wheels.sh here first)"
fi
export PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export XLA_PYTHON_CLIENT_PREALLOCATE=false  # several processes share the GPU

# 2. the test matrix (accelerator variants appear by themselves where a GPU is)
workers=${RELAXARRAY_GPU_WORKERS:-8}
xdist=()
"$PY" -c "import xdist" 2>/dev/null && [ "$workers" -gt 0 ] && xdist=(-n "$workers")
read -r -a tests <<< "${RELAXARRAY_GPU_TESTS:-tests}"
say "pytest ${tests[*]} ${xdist[*]}"
timeout "${RELAXARRAY_GPU_TEST_TIMEOUT:-300}" "$PY" -m pytest -q -p no:cacheprovider \
    "${xdist[@]}" --junitxml="$DEST/junit.xml" "${tests[@]}" >>"$LOG" 2>&1
say "pytest exit status $?"
tail -n 15 "$LOG"

# 3-4. benchmarks and the results file
quick=()
[ "${RELAXARRAY_GPU_QUICK:-0}" = 1 ] && quick=(--quick --cpu-smoke)
"$PY" benchmarks/gpu/driver.py --out "$DEST/gpu_results.json" --junit "$DEST/junit.xml" \
    --budget "${RELAXARRAY_GPU_BENCH_BUDGET:-150}" "${quick[@]}" 2>&1 | tee -a "$LOG"
say "done in $(( $(date +%s) - start )) s; results in $DEST/gpu_results.json"
