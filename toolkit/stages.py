"""Stages of a command: how long each took, and how far a long one has come.

The API times its stages in a `Stages` object; the CLI passes a listener that draws a progress
bar and prints the times with --verbose. Without a listener nothing is shown.
"""

from __future__ import annotations

import contextlib
import functools
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Listener(Protocol):
    def started(self, stage: str, total: int | None) -> None: ...

    def advanced(self, stage: str, done: int) -> None: ...

    def finished(self, stage: str, seconds: float) -> None: ...


class Stages:
    """Seconds per stage in the order run; a stage run twice adds up. `parallel` holds the
    stages other processes ran meanwhile (for the API; the CLI shows them as they come)."""

    def __init__(self, listener: Listener | None = None):
        self.listener = listener
        self.seconds: dict[str, float] = {}
        self.parallel: dict[str, float] = {}  # stages run by other processes meanwhile
        self.jobs = 1  # processes that read the workbooks, or write the outputs, at once

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

    def add_parallel(self, seconds: dict[str, float]) -> None:
        """Stages another process ran beside these: shown, not added to the total (the time
        waited for them is a stage of its own)."""
        for name, spent in seconds.items():
            label = f"{name} (parallelt)"
            self.parallel[label] = self.parallel.get(label, 0.0) + spent
            if self.listener is not None:
                self.listener.finished(label, spent)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def usable_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def default_jobs(files: int) -> int:
    """Processes that read `files` files when the user does not say.

    One for a regional round, where starting worker processes costs more than it saves.
    Otherwise one per usable core, at most 8 and one per dozen files. The load average is not
    asked: it lags by a minute, so right after a build (or a benchmark run) it called a free
    machine busy.
    """
    if files < 24:
        return 1
    return max(1, min(usable_cores(), 8, files // 12))


def writes_in_parallel(jobs: int | None) -> bool:
    """Whether a build forks two processes to write beside the report: with `jobs` above one,
    or by default when two cores can run them and no other thread runs here (a notebook's or
    a server's thread could hold a lock the child would wait for forever). Unlike reading,
    this pays for a regional round too (a rate round of 12 operators: 1.80 -> 1.51 s), and
    costs nothing measurable for a small one: forking needs no start-up."""
    import threading

    if not can_fork():
        return False
    if jobs is None:
        return usable_cores() > 1 and threading.active_count() == 1
    return jobs > 1


def can_fork() -> bool:
    """A forked process sees the parent's data without copying it; only Linux forks safely."""
    import multiprocessing
    import sys

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


# Pipe ends this process holds for its children. A forked child inherits a copy of each and
# closes them first (`in_child`): a child holding the read end of its own result pipe, or the
# write end of the drawer's, would never see the other side go away, and could wait forever.
_PARENT_ENDS: weakref.WeakSet[Any] = weakref.WeakSet()


def hold_for_children(end: Any) -> Any:
    """Register a pipe end this process keeps for a child; every child forked later closes it."""
    _PARENT_ENDS.add(end)
    return end


def in_child(parent: int) -> None:
    """First thing in a forked child: close the parent's pipe ends, and end when the parent
    does (killed, out of memory), instead of waiting forever for a pipe or a queue."""
    import os
    import signal

    for end in list(_PARENT_ENDS):
        end.close()  # this process's copy only
    _PARENT_ENDS.clear()
    prctl = _prctl()
    if prctl is not None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def ready_to_fork() -> None:
    """Call before forking children that call `in_child`."""
    _prctl()


@functools.cache
def _prctl() -> Callable[..., int] | None:
    """Linux's prctl, for the parent-death signal (Linux is the only system that forks here).
    Looked up by the parent before it forks (ctypes takes 6 ms to load), not by each child."""
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _run_and_send(sender: Any, parent: int, func: Callable[..., object],
                  args: tuple[object, ...], behind: bool) -> None:  # fmt: skip
    import gc
    import os
    import pickle
    import signal
    import sys
    import traceback

    in_child(parent)  # closes the parent's end of this child's own pipe too
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _stop_once)
    gc.enable()  # the parent's objects are frozen: the collector sees only the child's own
    with contextlib.suppress(AttributeError, OSError):
        if behind:  # the parent's share (the report) is the longest chain: it goes first
            os.nice(5)
    try:
        payload = pickle.dumps(("ok", func(*args), ""))
    except BaseException as exc:  # reported to the parent, which raises it there
        text = traceback.format_exc()
        try:
            payload = pickle.dumps(("error", exc, text))
        except Exception:  # an exception that does not pickle: its traceback as text
            payload = pickle.dumps(("error", None, text))
    # The work is done: an interrupt now would only print a traceback, and a parent that has
    # gone (a closed pipe) has nothing more to hear.
    _ignore_stops()
    with contextlib.suppress(OSError):
        sender.send_bytes(payload)
    sender.close()
    # Ended here, not by unwinding: an interrupted writer's half-written zip file would print
    # an ignored error as its frames are freed.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _stop_once(_signum: int, _frame: object) -> None:
    """In a forked child, Ctrl-C or SIGTERM (from the terminal, or passed on by the parent):
    stop the work, which cleans up as it unwinds and is reported to the parent. A second one,
    while that happens, is ignored: it would only break off the report with a traceback."""
    _ignore_stops()
    raise KeyboardInterrupt


def _ignore_stops() -> None:
    """Ignore Ctrl-C and SIGTERM from now on, by a handler that does nothing: with SIG_IGN, one
    that had already arrived raised 'Signal 15 ignored due to race condition'."""
    import signal

    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _nothing)


def _nothing(_signum: int, _frame: object) -> None:
    pass


class Forked:
    """`func(*args)` running in a forked process, so that it overlaps with the parent's work;
    `result()` waits for it and returns what it returned (which must pickle), or raises what it
    raised, with the child's traceback as a note.

    Start it only when no other thread runs (the CLI's progress bar is between stages). The
    parent's objects are frozen for the collector before the fork, so the child's collector does
    not touch (and so copy) the memory it shares with the parent.
    """

    def __init__(self, func: Callable[..., object], *args: object, behind: bool = True,
                 daemon: bool = True):  # fmt: skip
        """`behind`: the child yields a core to the parent, whose work is the longer; not so
        for work the parent waits for next. `daemon`: ended when the parent exits, but then
        it cannot fork in turn (multiprocessing's rule); the parent must wait for it."""
        import gc
        import multiprocessing
        import os

        self.name = getattr(func, "__name__", "baggrundsarbejde")
        context = multiprocessing.get_context("fork")
        self.receiver, sender = context.Pipe(duplex=False)
        hold_for_children(self.receiver)
        ready_to_fork()
        frozen_before = gc.get_freeze_count() > 0  # the CLI froze its imports: keep them so
        gc.freeze()
        try:
            self.process = context.Process(
                target=_run_and_send,
                args=(sender, os.getpid(), func, args, behind),
                daemon=daemon,
            )
            self.process.start()
        finally:
            if not frozen_before:
                gc.unfreeze()
            sender.close()

    def result(self) -> Any:
        try:
            outcome, value, text = self._outcome()
        except BaseException as exc:  # interrupted while waiting: so is the child
            self.wait_quietly(exc)
            raise
        if outcome == "ok":
            return value
        if isinstance(value, BaseException):  # an interrupt stays an interrupt
            value.add_note(f"({self.name} i en parallel proces)\n{text}")
            raise value
        raise RuntimeError(f"{self.name} fejlede i en parallel proces:\n{text}")

    def wait_quietly(self, failure: BaseException | None = None) -> None:
        """After the parent failed: let the child finish (so that it leaves no half-swapped
        folder behind), ignoring what it made or raised. If the `failure` was an interrupt
        (Ctrl-C, SIGTERM), the child is interrupted too, and cleans up as it ends."""
        import os
        import signal

        interrupted = failure is not None and not isinstance(failure, Exception)
        if interrupted and self.process.exitcode is None:  # not yet ended (its id not reused)
            with contextlib.suppress(OSError):
                os.kill(self.process.pid, signal.SIGINT)
        with contextlib.suppress(Exception):
            self._outcome()
        self.process.join()

    def _outcome(self) -> tuple[str, Any, str]:
        """What the child sent: ("ok", value, "") or ("error", exception or None, traceback)."""
        import pickle

        try:
            payload: bytes | None = self.receiver.recv_bytes()
        except EOFError:  # the process died without a word (killed, out of memory)
            payload = None
        finally:
            self.receiver.close()  # a child still sending then gets a broken pipe and ends
        self.process.join()  # not when interrupted: wait_quietly interrupts the child first
        if payload is None:
            return "error", None, f"afsluttet med kode {self.process.exitcode}"
        try:
            return pickle.loads(payload)
        except Exception as exc:  # an exception that pickled but cannot be made again
            return "error", None, f"svaret kunne ikke læses: {type(exc).__name__}: {exc}"


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
