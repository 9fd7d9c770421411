"""The pinned Heat virtualenv, cached between runs.

The venv lives under $HCH_CACHE (default ~/.cache/heat-container-hooks),
in a directory named after a hash of the pins, the project's
constraints.txt and the Python version, so changing a pin builds a new
one and an unchanged one is reused at once.
Concurrent test workers wait on a file lock instead of installing twice.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time

from tests.functional import upstream

HERE = os.path.dirname(os.path.abspath(__file__))
REQUIREMENTS = os.path.join(HERE, 'requirements-heat.txt')
# The project's pins: Heat's dependencies install at the versions tested.
CONSTRAINTS = os.path.join(HERE, '..', '..', 'constraints.txt')


def cache_root():
    return upstream.cache_dir()


def pins():
    with open(REQUIREMENTS) as handle:
        return [line.strip() for line in handle
                if line.strip() and not line.startswith('#')]


def venv_key():
    with open(CONSTRAINTS) as handle:
        constraints = handle.read()
    python = 'python=%d.%d' % sys.version_info[:2]
    text = '\n'.join(pins() + [python, constraints])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def venv_path():
    return os.path.join(cache_root(), 'heat-venv-%s' % venv_key())


def python(path=None):
    return os.path.join(path or venv_path(), 'bin', 'python')


def build_once(path, build):
    """``path`` once it is complete: when its marker file is missing,
    ``build(path)`` makes it (under a file lock, so parallel workers wait
    instead of building twice; a failed build leaves nothing)."""
    marker = os.path.join(path, '.complete')
    if os.path.exists(marker):
        return path
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(marker):
            return path
        shutil.rmtree(path, ignore_errors=True)
        try:
            build(path)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        with open(marker, 'w') as handle:
            handle.write('\n'.join(pins()) + '\n')
    return path


def ensure_venv(log=None):
    """Return the venv directory, creating it when missing.

    ``log`` (a file object) receives pip's output; the elapsed install time
    is written to ``<venv>/install-seconds``.
    """
    def build(path):
        started = time.monotonic()
        out = log or subprocess.DEVNULL
        subprocess.run([_base_python(), '-m', 'venv', path], check=True,
                       stdout=out, stderr=subprocess.STDOUT)
        subprocess.run([python(path), '-m', 'pip', 'install', '-q',
                        '--disable-pip-version-check', '-r',
                        REQUIREMENTS, '-c', CONSTRAINTS], check=True,
                       stdout=out, stderr=subprocess.STDOUT)
        with open(os.path.join(path, 'install-seconds'), 'w') as handle:
            handle.write('%.1f\n' % (time.monotonic() - started))
    return build_once(venv_path(), build)


def _base_python():
    return getattr(sys, '_base_executable', None) or sys.executable
