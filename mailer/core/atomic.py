"""Files written so that nobody ever uses half of one.

`write_atomic` replaces a file in one step: written to a temporary name beside it, then renamed
over it, so a reader (or a crash, or a full disk) never sees half a file; the temporary file is
removed when writing fails. A temporary name carries the writer's process id, so that the next
run removes what a killed one left (`remove_stale_temps`) and never what a live one is writing.
`write_record`, for cache records only, writes in place, in a way that leaves any half-written
record unreadable. `holds` tells a writer that a file already has its bytes; `read_regular`
reads a file that must be an ordinary one (a FIFO or a device at a cache's name would hang a
run or fill its memory). `inside` keeps a write under its folder: no symbolic link takes it
out. Errors are the OSError they were, for the caller to word.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path
from stat import S_ISREG

# ".<final name>.<pid>.<mkstemp's 8 characters>.tmp"
_TEMP = re.compile(r"^\..+\.(\d+)\.[a-z0-9_]{8}\.tmp$")


def make_temp(final: Path) -> tuple[int, str]:
    """A new temporary file beside `final` (0600), named after it and this process."""
    return tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp")


def remove_stale_temps(folder: Path, *, recursive: bool = False) -> int:
    """Remove the temporary files that killed writers left in `folder` (and below it): those of
    processes that no longer run, and this process's own namesakes from before it started
    writing. How many were removed; a folder that cannot be read has none."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and entry.is_file(follow_symlinks=False):
            pid = int(match[1])
            if pid == os.getpid() or not _running(pid):
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:
                    pass
        elif recursive and entry.is_dir(follow_symlinks=False):
            removed += remove_stale_temps(Path(entry.path), recursive=True)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process: not ours to judge
    try:  # a killed worker whose parent died too may linger as a zombie nobody reaps
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def inside(root: Path, path: Path) -> Path:
    """`path`, checked to lead to a place under `root` once every symbolic link on the way is
    followed (as a write would follow them): OSError (EXDEV) when it leads elsewhere."""
    base = os.path.realpath(root)
    where = os.path.realpath(path)
    if where != base and not where.startswith(base.rstrip(os.sep) + os.sep):
        raise OSError(errno.EXDEV, "leads outside its folder through a symbolic link", str(path))
    return path


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, which must be an ordinary file of at most `limit` bytes: OSError for
    a FIFO, a device, a folder or a larger file, at once (never a hang, never all of memory)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode):
            raise OSError(errno.EINVAL, "is not an ordinary file", str(path))
        if stat.st_size > limit:
            raise OSError(errno.EFBIG, f"is larger than {limit} bytes", str(path))
        with open(fd, "rb", closefd=False) as fh:
            return fh.read(limit + 1)[:limit]
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write `data` to `path` atomically, creating its folder; `mode` sets the permissions
    (the temporary file is created 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = make_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(path: Path, data: bytes) -> None:
    """Write a cache record (one JSON document) in place, creating its folder.

    Four times cheaper than `write_atomic` where creating a file is dear (ext4 without a
    journal hesitates to reuse the inodes a replace frees), and safe for records only: the file
    is emptied first, so a reader or a crash can only find it empty or holding a beginning of
    the document — neither parses, and an unreadable record is a miss. A record that is a
    symbolic link is refused (OSError), never written through."""
    # O_NONBLOCK: a FIFO at the record's name fails at once instead of waiting for a reader
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        if not S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "is not an ordinary file", str(path))
        os.ftruncate(fd, 0)
        os.set_blocking(fd, True)
        with open(fd, "wb", closefd=False) as fh:
            fh.write(data)
    finally:
        os.close(fd)


def holds(path: Path, data: bytes) -> bool:
    """Whether `path` is a file holding exactly `data` (anything unreadable: no). Reading a file
    back costs a tenth of creating and renaming a new one, and a file left alone keeps the time
    of its last real change: writers skip what already holds their bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not hang the build
    except OSError:
        return False
    try:
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode) or stat.st_size != len(data):
            return False
        with open(fd, "rb", closefd=False) as fh:
            return fh.read() == data
    except OSError:
        return False
    finally:
        os.close(fd)
