"""Writing outputs whole or not at all."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; move it into place only if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh folder beside `target`; swap it in for `target` only if the block succeeds.

    A build killed midway leaves the previous outputs untouched. The folders of a build that
    was killed outright (SIGKILL, a power cut) are named with its process id and removed by
    the next one.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target)
    prefix = f".{target.name}-new-{os.getpid()}-"
    staging = Path(tempfile.mkdtemp(prefix=prefix, dir=target.parent))
    try:
        yield staging
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}-old-{os.getpid()}")
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _remove_abandoned(target: Path) -> None:
    """Remove the staging and old folders of `target` left by processes that no longer run.
    If one was killed between its two renames, its old folder is the last complete result:
    it is put back."""
    if os.name != "posix":  # os.kill(pid, 0) asks after a process only on POSIX
        return
    pattern = re.compile(rf"\.{re.escape(target.name)}-(new|old)-(\d+)(?:-.*)?")
    for path in sorted(target.parent.glob(f".{target.name}-*")):
        found = pattern.fullmatch(path.name)
        if not found or _running(int(found.group(2))):
            continue
        if found.group(1) == "old" and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True
