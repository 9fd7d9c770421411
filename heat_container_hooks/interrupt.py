"""Ending a run that is interrupted (SIGTERM, SIGINT, SIGHUP) with a reply.

A hook run as a process (``hook.main``) installs handlers for the three
signals in its main thread. The first one raises ``Interrupted`` there,
carrying which steps were in progress (``step`` records them, per thread);
the pipeline turns it into a failure reply with the shell's exit status for
that signal (128 + its number: 143, 130, 129). Waits in other threads see
``interrupted()`` and stop; pools are shut down without waiting for work
that can no longer matter. Later signals are ignored: the reply is on its
way.

The agent runs the groups in-process, in threads, where no handler can be
installed: there ``handlers`` does nothing and the agent's own SIGTERM
handling stands.

State never depends on the run ending well: it lives in labels on the
engine (and, for compose, in a project directory whose "applied" record is
dropped before anything changes), so the next run plans from what it
observes and converges (doc/reliability.md, "Interrupted runs").
"""

import contextlib
import signal
import threading

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

_lock = threading.Lock()
_steps = {}                 # thread ident -> [step, ...], innermost last
_fired = threading.Event()
_quiet = threading.Event()


class Interrupted(BaseException):
    """Raised in the main thread by the first signal of ``SIGNALS``.

    A BaseException (like KeyboardInterrupt), so that no ``except
    Exception`` on the way mistakes it for a failure of its own.
    ``status`` is 128 + the signal's number; ``steps`` the steps that were
    in progress when it came.
    """

    def __init__(self, signum, steps):
        self.signum = signum
        self.name = signal.Signals(signum).name
        self.status = 128 + signum
        self.steps = steps
        super().__init__('interrupted by %s while %s'
                         % (self.name, steps or 'starting'))


@contextlib.contextmanager
def step(description):
    """Record ``description`` as in progress in this thread while the block
    runs (what an interruption's reply names)."""
    ident = threading.get_ident()
    with _lock:
        _steps.setdefault(ident, []).append(description)
    try:
        yield
    finally:
        with _lock:
            stack = _steps.get(ident)
            if stack:
                stack.pop()
                if not stack:
                    del _steps[ident]


def steps_in_progress():
    """The innermost step of every thread, the main thread's first, as one
    line ('' when none)."""
    main = threading.main_thread().ident
    with _lock:
        first = _steps.get(main, [])[-1:]
        others = sorted(s[-1] for i, s in _steps.items() if i != main and s)
    return '; '.join(first + others)


def interrupted():
    """Whether this process was interrupted (waits in threads stop)."""
    return _fired.is_set()


def check():
    """Raise ``Interrupted`` in a waiting thread once the process is."""
    if _fired.is_set():
        raise Interrupted(_signum[0], steps_in_progress())


_signum = [signal.SIGTERM]


def shutdown(pool):
    """Shut a thread pool down; once interrupted, without waiting for its
    work (which may wait on the engine for a long time)."""
    pool.shutdown(wait=not _fired.is_set(), cancel_futures=True)


def replying():
    """From now on signals are ignored: the reply is being written, and
    must be written whole."""
    _quiet.set()


def _handle(signum, frame):
    if _fired.is_set() or _quiet.is_set():
        return          # a reply is on its way
    _signum[0] = signum
    _fired.set()
    raise Interrupted(signum, steps_in_progress())


@contextlib.contextmanager
def handlers():
    """Turn SIGTERM, SIGINT and SIGHUP into ``Interrupted`` while the block
    runs, in the main thread only (elsewhere: nothing is changed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    reset()
    previous = {s: signal.signal(s, _handle) for s in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def reset():
    """Forget an interruption (tests that interrupt in-process)."""
    _fired.clear()
    _quiet.clear()
