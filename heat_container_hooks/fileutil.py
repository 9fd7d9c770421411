"""The hooks' own small files: written so that a reader never sees half of
one (a temporary file in the same directory, flushed to disk, then renamed
over the target), and read back as JSON objects."""

import json
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


def read_object(path):
    """The JSON object in ``path``, or None (missing, unreadable, not a JSON
    object)."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
