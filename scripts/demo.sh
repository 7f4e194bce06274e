#!/usr/bin/env bash
# Copyright 2026 The AR4 LeRobot Authors
# Licensed under the Apache License, Version 2.0 (see LICENSE).
#
# The headless pipeline, from nothing to an evaluated policy, on a machine without ROS, Docker
# or a GPU: scripted demonstrations in the MuJoCo twin -> LeRobot v3 dataset -> integrity check
# -> training -> closed-loop evaluation -> HTML report. Run with --help for the sizes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TASK="place the teal cube on the top shelf"
EPISODES=30
STEPS=4000
BATCH_SIZE=8
EVAL_EPISODES=10
MAX_STEPS=400
N_ACTION_STEPS=""
TINY_SIZE=tiny
SEED=0
OUT=""
SETUP=1
BASE=""

usage() {
  cat <<USAGE
Usage: scripts/demo.sh [options]

Generates scripted demonstrations in the MuJoCo twin, writes them as a LeRobot v3 dataset,
checks it (ar4-check-dataset), trains a policy (ar4-train), evaluates it closed-loop in the twin
(ar4-eval) and prints the success rate and where the HTML report is. The defaults are sized for
about 15 minutes on 2 CPU cores; raise them for a full-size run (e.g. on a GPU:
--episodes 100 --steps 20000 --batch-size 32 --eval-episodes 50).

Options:
  --task TEXT           instruction (default: "$TASK")
  --episodes N          demonstrations to generate (default $EPISODES)
  --steps N             training steps (default $STEPS)
  --batch-size N        training batch size (default $BATCH_SIZE)
  --eval-episodes N     closed-loop evaluation episodes (default $EVAL_EPISODES)
  --max-steps N         control steps per evaluation episode, 30 per second (default $MAX_STEPS)
  --n-action-steps N    actions executed from each chunk before the next inference
                        (default: the policy's own, its whole 30-step chunk)
  --tiny-size NAME      backbone of the from-scratch policy: tiny (~0.5 M parameters) or
                        small (~11 M, ~3x slower per step; the one that has completed the
                        task, see docs/results.md; default $TINY_SIZE)
  --seed N              base seed for demonstrations; evaluation uses seed + 1000 (default $SEED)
  --out DIR             output folder (default: data/demo/<date-time>)
  --base PATH_OR_ID     fine-tune this SmolVLA instead of the tiny from-scratch one
                        (e.g. a local smolvla_base folder; needs more memory and time)
  --skip-setup          do not run scripts/setup.sh (environment already active)
  -h, --help            show this help
USAGE
}

while (($#)); do
  case "$1" in
    --task) TASK="$2"; shift 2 ;;
    --episodes) EPISODES="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --batch-size) BATCH_SIZE="$2"; shift 2 ;;
    --eval-episodes) EVAL_EPISODES="$2"; shift 2 ;;
    --max-steps) MAX_STEPS="$2"; shift 2 ;;
    --n-action-steps) N_ACTION_STEPS="$2"; shift 2 ;;
    --tiny-size) TINY_SIZE="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --base) BASE="$2"; shift 2 ;;
    --skip-setup) SETUP=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [ -n "$BASE" ]; then
  TRAIN_ARGS=(--base "$BASE")
else
  TRAIN_ARGS=(--tiny --tiny-size "$TINY_SIZE")
fi

cd "$ROOT"
if ((SETUP)); then
  "$ROOT/scripts/setup.sh"
  # shellcheck disable=SC1091
  source "${AR4_VENV:-$ROOT/.venv}/bin/activate"
fi
export HF_HUB_OFFLINE=1 MUJOCO_GL="${MUJOCO_GL:-egl}"
OUT="${OUT:-data/demo/$(date +%Y%m%d-%H%M%S)}"
if [ -e "$OUT/train" ] || [ -e "$OUT/eval" ]; then
  echo "demo.sh: $OUT already holds a run; choose a new --out" >&2
  exit 2
fi
mkdir -p "$OUT"
start=$(date +%s)
step() { printf '\n[demo %4ss] %s\n' "$(($(date +%s) - start))" "$*"; }

step "1/4 generating $EPISODES scripted demonstrations: \"$TASK\""
ar4-generate --task "$TASK" --episodes "$EPISODES" --seed "$SEED" --out "$OUT/dataset"
step "2/4 checking the dataset"
ar4-check-dataset "$OUT/dataset"
step "3/4 training ($STEPS steps, batch $BATCH_SIZE, ${TRAIN_ARGS[*]})"
ar4-train --dataset "$OUT/dataset" --out "$OUT/train" --steps "$STEPS" \
  --batch-size "$BATCH_SIZE" --save-freq "$STEPS" --num-workers 1 "${TRAIN_ARGS[@]}"
EVAL_ARGS=()
if [ -n "$N_ACTION_STEPS" ]; then
  EVAL_ARGS=(--n-action-steps "$N_ACTION_STEPS")
fi
step "4/4 evaluating closed-loop in the twin ($EVAL_EPISODES episodes)"
ar4-eval --policy "$OUT/train" --task "$TASK" --episodes "$EVAL_EPISODES" \
  --max-steps "$MAX_STEPS" --seed "$((SEED + 1000))" --deterministic \
  --out "$OUT/eval" "${EVAL_ARGS[@]}"

rate=$(python - "$OUT/eval/results.json" <<'PY'
import json
import sys
results = json.load(open(sys.argv[1]))
print('{:.0%} ({}/{})'.format(results['success_rate'], results['n_success'], results['n_episodes']))
PY
)
step "done: success rate $rate on \"$TASK\""
echo "  dataset: $OUT/dataset"
echo "  policy:  $OUT/train"
echo "  report:  $OUT/eval/report.html (open it in a browser)"
