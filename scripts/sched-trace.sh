#!/usr/bin/env bash
# Traces the kernel's scheduling of a local run's node threads and says where they waited for a core.
#   scripts/sched-trace.sh [CONFIG] [SECONDS]     (default configs/owner-bound-vgg5.yaml, 3 s)
# Needs root (tracefs). Starts `./mpsl run CONFIG`, waits for its 20th round (the JIT compiler done), records sched_switch,
# sched_wakeup and sched_migrate_task for SECONDS, stops the run, and prints per node thread (owner*, hop*) its
# time on a core, its time runnable but waiting for one, and how much of that wait a core stood idle
# (scripts/sched_trace.py). Nothing else should run meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/owner-bound-vgg5.yaml}
seconds=${2:-3}
out=$(mktemp -d /tmp/mpsl-sched.XXXXXX)
T=/sys/kernel/tracing
if [ ! -d "$T/events/sched" ]; then
    mount -t tracefs nodev "$T" 2>/dev/null || { echo "sched-trace: cannot mount tracefs at $T (run as root)" >&2; exit 2; }
fi
echo 0 > "$T/tracing_on"
echo > "$T/trace"
echo 20000 > "$T/buffer_size_kb"
for e in sched_switch sched_wakeup sched_wakeup_new sched_migrate_task; do echo 1 > "$T/events/sched/$e/enable"; done
./mpsl run "$config" --out "$out/run" > "$out/run.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; echo 0 > $T/tracing_on; echo 0 > $T/events/sched/enable' EXIT
until grep -q "round 20/" "$out/run.log" 2>/dev/null; do
    if ! kill -0 $pid 2>/dev/null; then echo "sched-trace: the run ended early; see $out/run.log" >&2; exit 1; fi
    sleep 0.2
done
echo 1 > "$T/tracing_on"; sleep "$seconds"; echo 0 > "$T/tracing_on"
cat "$T/trace" > "$out/sched.trace"
echo "trace: $out/sched.trace ($(wc -l < "$out/sched.trace") lines)"
python3 scripts/sched_trace.py "$out/sched.trace"
