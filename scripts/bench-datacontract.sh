#!/usr/bin/env bash
# Installs datacontract-cli into a scratch venv for the `steward validate`
# benchmark comparison. It is not a dependency of Steward.
set -euo pipefail
VENV="${DATACONTRACT_VENV:-/var/tmp/datacontract-venv}"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet datacontract-cli
"$VENV/bin/datacontract" --version
echo "DATACONTRACT_BIN=$VENV/bin/datacontract"
