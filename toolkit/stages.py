"""Stages of a command: how long each took, and how far a long one has come.

The API times its stages in a `Stages` object; the CLI passes a listener that draws a progress
bar and prints the times with --verbose. Without a listener nothing is shown.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Protocol


class Listener(Protocol):
    def started(self, stage: str, total: int | None) -> None: ...

    def advanced(self, stage: str, done: int) -> None: ...

    def finished(self, stage: str, seconds: float) -> None: ...


class Stages:
    """Seconds per stage in the order run; a stage run twice adds up."""

    def __init__(self, listener: Listener | None = None):
        self.listener = listener
        self.seconds: dict[str, float] = {}
        self.jobs = 1  # processes that read the workbooks

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """Time the block; it calls the yielded function with the number of items done."""
        listener = self.listener
        if listener is not None:
            listener.started(name, total)
        done = 0

        def advance(step: int = 1) -> None:
            nonlocal done
            done += step
            if listener is not None:
                listener.advanced(name, done)

        start = time.perf_counter()
        try:
            yield advance
        finally:
            seconds = time.perf_counter() - start
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            if listener is not None:
                listener.finished(name, seconds)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def default_jobs(files: int) -> int:
    """Processes for reading `files` files when the user does not say.

    One for a regional round, where starting workers costs more than it saves. Otherwise one
    per idle core (the cores less the load average), at most 8: on a busy machine extra
    processes only add the cost of handing results between them (measured in benchmarks/).
    """
    import os

    if files < 24:
        return 1
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        busy = 0.0
    idle = int(cores - busy + 0.5)
    return max(1, min(cores, 8, files // 12, idle))


def can_fork() -> bool:
    """A forked process sees the parent's data without copying it; only Linux forks safely."""
    import multiprocessing
    import sys

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class Forked:
    """`func(*args)` running in a forked process, so that it overlaps with the parent's work.
    Start it only when no other thread runs (the CLI's progress bar is between stages)."""

    def __init__(self, func: Callable[..., object], *args: object):
        import multiprocessing

        self.name = getattr(func, "__name__", "baggrundsarbejde")
        self.process = multiprocessing.get_context("fork").Process(
            target=func, args=args, daemon=True
        )
        self.process.start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.join()

    def wait(self) -> None:
        self.process.join()
        if self.process.exitcode != 0:
            raise RuntimeError(
                f"{self.name} fejlede i en baggrundsproces ({self.process.exitcode})"
            )


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk step. It walks every live object now and then,
    and a national round holds half a million values, none of them in cycles; reference counting
    still frees memory at once. About a sixth of the time of reading 1,000 workbooks."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
