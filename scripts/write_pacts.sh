#!/usr/bin/env bash
# Regenerate the committed consumer pacts in contracts/pacts from the consumer tests in tests/pacts.
#
# Pacts are artefacts: provider verification, can-i-deploy and diff read them from contracts/pacts,
# and tests/pacts/test_pacts_fresh.py fails when they no longer match the tests. Run this after
# changing a consumer test, then commit contracts/pacts. Old files are removed first, so a pact whose
# test was deleted does not linger.
#   scripts/write_pacts.sh            regenerate
#   PYTHON=/path/to/venv/bin/python scripts/write_pacts.sh   (default: python3 on PATH)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if ! "$python" -c "import pact, consumers" 2>/dev/null; then
  echo "write_pacts: $python cannot import pact-python and the project; install the project (pip install -e '.[dev]') or set PYTHON" >&2
  exit 2
fi

export PACT_DO_NOT_TRACK=true
mkdir -p contracts/pacts
rm -f contracts/pacts/*.json
EM_PACT_DIR=contracts/pacts "$python" -m pytest tests/pacts -q -p no:cacheprovider
"$python" -m pytest tests/pacts/test_pacts_fresh.py -q -p no:cacheprovider
ls -1 contracts/pacts/*.json
