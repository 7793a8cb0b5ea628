#!/usr/bin/env bash
# Long fuzz run of mentormatch's entry points (about 10 minutes on 2 cores).
# Not part of the default test run; see fuzz/README.md.
#
#   fuzz/run.sh                      # the documented 10-minute run
#   MENTORMATCH_FUZZ_EXAMPLES=500 fuzz/run.sh   # shorter
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-/work/venv/bin/python}"
export MENTORMATCH_FUZZ_EXAMPLES="${MENTORMATCH_FUZZ_EXAMPLES:-25000}"
# random (not derandomised) examples; failures are saved in .hypothesis/ and replayed
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-dev}"
exec "$PY" -m pytest tests/test_fuzz.py -m slow -q -p no:cacheprovider \
    --hypothesis-show-statistics "$@"
