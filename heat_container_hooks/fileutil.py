"""Writing files so that a reader never sees half of one: a temporary file
in the same directory, flushed to disk, then renamed over the target."""

import os
import tempfile


def write_atomic(path, content, mode=0o600, sync_directory=False):
    """Write ``content`` (text) to ``path`` atomically, truncated, with
    ``mode``. ``sync_directory`` also makes the rename itself durable."""
    directory = os.path.dirname(path) or '.'
    handle, temp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, 'w', encoding='utf-8') as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    if sync_directory:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
