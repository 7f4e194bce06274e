#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# Submit scripted generation across machines: an array of N shard tasks (generate_ar4.sbatch)
# and a merge job (merge_ar4.sbatch) that starts once every task has ended.
#
#   scripts/slurm/submit_generate.sh N OUT EPISODES TASK [ar4-generate options]
#   scripts/slurm/submit_generate.sh 16 data/datasets/local/ar4_sim_teal_top 1000 \
#     "place the teal cube on the top shelf" --seed 3
#
# Extra options go to every array task (e.g. --seed, --max-attempts, --no-randomize, and
# --shards-dir DIR, which is then also passed to the merge). Set SBATCH_OPTS to add sbatch
# options to both jobs (e.g. SBATCH_OPTS="--partition=cpu --account=me"). Running it again with
# the same arguments after a partial run generates only the missing episodes.
set -euo pipefail

USAGE='usage: submit_generate.sh N OUT EPISODES TASK [ar4-generate options]'
N=${1:?$USAGE}
OUT=${2:?$USAGE}
OUT=${OUT%/}
EPISODES=${3:?$USAGE}
TASK=${4:?$USAGE}
shift 4
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then
  echo "submit_generate.sh: N must be a positive number of array tasks, got '$N'" >&2
  exit 2
fi
SHARDS="$OUT.shards"
ARGS=("$@")
for (( i = 0; i < ${#ARGS[@]}; i++ )); do
  if [ "${ARGS[$i]}" = --shards-dir ] && (( i + 1 < ${#ARGS[@]} )); then
    SHARDS=${ARGS[$((i + 1))]}
  fi
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p logs  # the jobs' --output folder, relative to where they are submitted
read -r -a EXTRA <<< "${SBATCH_OPTS:-}"
ARRAY=$(sbatch --parsable "${EXTRA[@]}" --array="0-$((N - 1))" "$HERE/generate_ar4.sbatch" \
  "$OUT" "$EPISODES" "$TASK" "$@")
ARRAY=${ARRAY%%;*}
MERGE=$(sbatch --parsable "${EXTRA[@]}" --dependency="afterany:$ARRAY" \
  "$HERE/merge_ar4.sbatch" "$OUT" "$SHARDS")
MERGE=${MERGE%%;*}
echo "submitted array job $ARRAY ($N shards of $EPISODES episodes in total into $SHARDS)"
echo "and merge job $MERGE into $OUT (runs after every shard task has ended)"
