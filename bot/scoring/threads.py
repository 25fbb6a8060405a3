"""How many threads an engine runs: the CPUs this process may use, as few as help."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def cpu_threads(default: int) -> int:
    """Threads for torch: the CPUs this process may run on, capped by a container's CPU quota
    (cgroup v2 `cpu.max`) and by torch's own default (the physical cores): more threads than
    that only wait on each other."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text(encoding="ascii").split()
        if quota != "max":
            count = min(count or 1, int(quota) // int(period))
    except (OSError, ValueError):
        pass  # no cgroup v2 quota here
    return max(1, min(count or 1, default))


def thread_default(env: Mapping[str, str]) -> int:
    """Threads before `cpu_threads` caps them: OMP_NUM_THREADS when set (torch's default follows
    it too), else every CPU. llama.cpp's threads wait for each other spinning, so on cores other
    jobs share, fewer threads are faster: on this 2-core machine at a load average of 6, one
    thread prefilled and decoded a comment 4.4 times faster than two.

    >>> thread_default({"OMP_NUM_THREADS": "1"}), thread_default({}) == (os.cpu_count() or 1)
    (1, True)
    """
    value = env.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else os.cpu_count() or 1
