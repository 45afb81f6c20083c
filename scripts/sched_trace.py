#!/usr/bin/env python3
"""Reads a tracefs text trace (sched_switch, sched_wakeup, sched_migrate_task) and prints, per thread whose
name starts with owner or hop (mpsl's node threads in a local run): its time on a core, its time runnable but
waiting for one, and the part of that wait during which some core ran nothing (the idle task).

The tracer of some virtual machines misses a core's switches away from its idle task; a core's state is
therefore also taken from the context of each event it logs, and a thread woken from an idle core's interrupt
onto that same core is taken to run at once (a core that logs the switch does so within microseconds).
Usage: sched_trace.py TRACE [PREFIX ...]   (default prefixes: owner hop)"""
import collections
import re
import sys

LINE = re.compile(r'^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+(\S+)\s+([\d.]+): (\w+): (.*)$')
FIELD = re.compile(r'(\w+)=(\S+)')


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    prefixes = tuple(sys.argv[2:]) or ('owner', 'hop')
    events = []
    for line in open(sys.argv[1]):
        m = LINE.match(line)
        if m:
            events.append((float(m.group(5)), int(m.group(3)), int(m.group(2)), m.group(4), m.group(6),
                           dict(FIELD.findall(m.group(7)))))
    if not events:
        sys.exit('no sched events in ' + sys.argv[1])
    cpus = sorted({e[1] for e in events})
    cur = {c: None for c in cpus}      # pid on each core (0: idle; None: not known yet)
    names = {}
    since = {}                          # pid -> when it went on a core
    waiting = {}                        # pid -> when it became runnable without a core
    run = collections.Counter()
    wait = collections.Counter()
    wait_idle = collections.Counter()
    last = events[0][0]

    def on_core(pid, t):
        if pid in waiting:
            del waiting[pid]
        since.setdefault(pid, t)

    def off_core(pid, t, runnable):
        if pid in since:
            run[pid] += t - since.pop(pid)
        if runnable:
            waiting[pid] = t

    for t, cpu, ctx, flags, kind, f in events:
        dt = t - last
        if dt > 0 and waiting:
            idle = any(cur[c] == 0 for c in cpus)
            for pid in waiting:
                wait[pid] += dt
                if idle:
                    wait_idle[pid] += dt
        last = t
        if kind != 'sched_switch' and cur[cpu] != ctx:
            # the tracer missed a switch on this core: its context says who runs
            if cur[cpu]:
                off_core(cur[cpu], t, False)
            cur[cpu] = ctx
            if ctx:
                on_core(ctx, t)
        if kind in ('sched_wakeup', 'sched_wakeup_new'):
            pid = int(f['pid'])
            names[pid] = f['comm']
            target = int(f['target_cpu'])
            if pid in cur.values():
                continue
            if target == cpu and ctx == 0 and 'N' in flags:
                cur[cpu] = pid  # woken from the idle core's interrupt onto it: runs at once
                on_core(pid, t)
            elif pid not in waiting:
                waiting[pid] = t
        elif kind == 'sched_switch':
            prev, nxt = int(f['prev_pid']), int(f['next_pid'])
            names[prev] = f['prev_comm']
            names[nxt] = f['next_comm']
            if prev:
                off_core(prev, t, f['prev_state'].startswith('R'))
            cur[cpu] = nxt
            if nxt:
                on_core(nxt, t)
    span = events[-1][0] - events[0][0]
    print('%.3f s traced on %d cores' % (span, len(cpus)))
    print('%-14s %9s %9s %7s %14s' % ('thread', 'run s', 'wait s', 'wait %', 'core idle s'))
    tot = [0.0, 0.0, 0.0]
    for pid in sorted(run, key=lambda p: names.get(p, '')):
        n = names.get(pid, '?')
        if not n.startswith(prefixes):
            continue
        print('%-14s %9.3f %9.3f %6.0f%% %14.3f' % (n, run[pid], wait[pid], 100 * wait[pid] / max(run[pid], 1e-9),
                                                    wait_idle[pid]))
        tot[0] += run[pid]
        tot[1] += wait[pid]
        tot[2] += wait_idle[pid]
    print('%-14s %9.3f %9.3f %6.0f%% %14.3f' % ('all', tot[0], tot[1], 100 * tot[1] / max(tot[0], 1e-9), tot[2]))
    print('(wait %: runnable but not running, per second on a core; core idle s: of that wait, while a core ran'
          ' nothing)')


if __name__ == '__main__':
    main()
