#!/usr/bin/env bash
# The scale scenario (README "Scale scenario"): builds the benchmarks in Release and runs
#   GridExchange.Benchmarks scale [--residents N] [--city CODE] [--seeds DIR] [--fresh N]
#                                 [--checkpoint PERCENT] [--stats-calls N] [--keep-db]
# Default: the whole of 临沂 (3713: 8.33 million residents, 14.49 million records as generated; seeds are
# generated once into $TMPDIR/gridx-scale-seeds/ and reused). PostgreSQL: GRIDEXCHANGE_TEST_PG,
# or a throwaway cluster. Output is also written to ${TMPDIR:-/tmp}/gridx-scale-<UTC time>.log.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dotnet build -c Release "$here" -v quiet -nologo
log="${TMPDIR:-/tmp}/gridx-scale-$(date -u +%Y%m%dT%H%M%SZ).log"
echo "log: $log"
dotnet run -c Release --no-build --project "$here" -- scale "$@" 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
