"""Freed memory goes back to the system while training, instead of staying with the process.

glibc's malloc serves a block from its heap unless the block is at least its mmap threshold, and
it raises that threshold (up to 32 MB) each time a larger mapped block is freed. Loading and
converting the base frees blocks that large, so from then on the activations of a training step
(4-12 MB each for a 512-token TinyLlama row in float32) come from the heap, and freed heap memory
mostly stays with the process. Measured on one SFT step of the TinyLlama shape (README,
"Training"): anonymous memory peaked at 2.6 GiB with the moving threshold and at 1.05 GiB with a
fixed 1 MiB one, for about a fifth more CPU time (each such block is mapped afresh and its pages
zeroed). A fixed threshold also stops the moving one, so it holds for the rest of the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h
THRESHOLD = 1 << 20  # below the activations of a short GRPO sequence (~3 MB), above small tensors


def map_large_blocks(threshold: int = THRESHOLD) -> bool:
    """Serve blocks of `threshold` bytes or more from their own mappings, unmapped when freed.

    True where that took effect (glibc); False elsewhere (macOS, musl), where nothing changes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return mallopt(M_MMAP_THRESHOLD, threshold) == 1
