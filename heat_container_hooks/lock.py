"""Per-owner locks: two runs for the same deployment never overlap."""

import contextlib
import fcntl
import hashlib
import os
import time

from heat_container_hooks import errors


def path_for(lock_dir, owner):
    digest = hashlib.sha256(('%s\0%s' % (owner.managed_by, owner.key))
                            .encode('utf-8')).hexdigest()[:32]
    return os.path.join(lock_dir, digest + '.lock')


@contextlib.contextmanager
def held(lock_dir, owner, timeout):
    """Hold the owner's lock, waiting up to ``timeout`` seconds for it."""
    try:
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        fd = os.open(path_for(lock_dir, owner), os.O_RDWR | os.O_CREAT,
                     0o600)
    except OSError as exc:
        raise errors.HookError(
            'cannot create the lock in %s: %s (fix: create the directory or '
            'set lock_dir to a writable one)' % (lock_dir, exc.strerror))
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise errors.LockTimeout(
                        'another run of deployment %s held its lock for more'
                        ' than %gs (fix: wait for it to finish, or raise '
                        'lock_timeout)' % (owner.key, timeout))
                time.sleep(0.1)
        yield
    finally:
        os.close(fd)
