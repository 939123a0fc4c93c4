#!/usr/bin/env python3
"""Runs a command N times and prints its median wall time in milliseconds and its peak
resident memory in MB (from wait4's rusage, the number /usr/bin/time reports).

    bench/measure.py N COMMAND [ARG...]    "{i}" in an argument becomes the run's number

Output: "<median ms> <min ms> <peak MB>". A failing run stops it with the command's stderr.
"""
import os
import statistics
import subprocess
import sys
import time


def main():
    n = int(sys.argv[1])
    cmd = sys.argv[2:]
    times, peak = [], 0
    for i in range(n):
        argv = [a.replace("{i}", str(i)) for a in cmd]
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(p.pid, 0)
        times.append((time.perf_counter() - t0) * 1000)
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        if status != 0:
            sys.stderr.write(f"measure: {' '.join(argv)} failed ({status}):\n{err}")
            sys.exit(1)
        peak = max(peak, usage.ru_maxrss)
    print(f"{statistics.median(times):.1f} {min(times):.1f} {peak / 1024:.1f}")


if __name__ == "__main__":
    main()
