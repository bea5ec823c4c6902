#!/usr/bin/env bash
# Download, HERE (where pip reaches a registry), the pure-Python wheels the GPU machine
# lacks, into benchmarks/gpu/wheels/ (git-ignored). The GPU machine has no network; a
# session carries the folder with the device tool's `carry` option:
#     carry: ["benchmarks/gpu/wheels"]
#     command: bash benchmarks/gpu/run.sh
# The versions are the ones this project's test environment uses; all are py3-none-any.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p wheels
python -m pip download --no-deps --only-binary=:all: -d wheels \
    "array-api-compat==1.16.0" "array-api-strict==2.6.1" "pyro-ppl==1.9.2" "pyro-api==0.1.2"
ls -l wheels
