#!/usr/bin/env bash
# Build the documentation (warnings are errors) and execute every notebook.
# Usage: .ci/docs.sh /path/to/venv/bin/python   (a venv with mentormatch[dev,docs])
set -euo pipefail
cd "$(dirname "$0")/.."
py="${1:?usage: .ci/docs.sh PYTHON (of a venv where mentormatch[dev,docs] is installed)}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
export MPLBACKEND=Agg

echo "== sphinx-build -W --keep-going -b html docs $out/html"
start=$SECONDS
rm -rf docs/generated
"$py" -m sphinx -W --keep-going -b html docs "$out/html"
echo "docs built in $((SECONDS - start)) s"

echo "== notebooks"
"$py" - "$out" notebooks/*.ipynb <<'PY'
"""Execute each notebook in a fresh kernel; fail on the first error, show timings."""
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

out, paths = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
if not paths:
    sys.exit("no notebooks found in notebooks/")
failed = []
for path in paths:
    book = nbformat.read(path, as_version=4)
    if any(c.get("outputs") or c.get("execution_count") for c in book.cells
           if c.cell_type == "code"):
        failed.append(path.name)
        print(f"{path.name}: stored with outputs; clear them before committing", flush=True)
    t0 = time.perf_counter()
    client = NotebookClient(book, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as exc:
        failed.append(path.name)
        print(f"{path.name}: FAILED\n{exc}", flush=True)
        continue
    nbformat.write(book, out / path.name)
    print(f"{path.name}: ok in {time.perf_counter() - t0:.1f} s", flush=True)
if failed:
    sys.exit(f"notebooks failed: {', '.join(failed)}")
PY
echo "docs and notebooks passed"
