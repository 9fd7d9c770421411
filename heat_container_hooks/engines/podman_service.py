"""Reaching podman's REST API: podman has no daemon, so its API socket is
either one that runs already (a configured URL, or the system socket that
``podman.socket`` serves where systemd runs) or a ``podman system service``
that the hook starts on a private socket for the length of one run.

Used by the podman engine (docker-cmd and container groups) and by the
atomic group's podman runner; not an engine itself.
"""

import os
import shutil
import subprocess
import tempfile
import time

from oslo_log import log as logging

from heat_container_hooks import errors

LOG = logging.getLogger(__name__)

# podman.socket's path for root (podman-remote's default URL).
SYSTEM_SOCKET = '/run/podman/podman.sock'


class PodmanService:
    """``podman system service`` on a private socket, for one run.

    ``podman``: the executable; ``timeout``: seconds to wait for the
    socket to appear. ``url`` is the socket's ``unix://`` URL. The service
    inherits the hook's environment (so ``CONTAINERS_CONF`` applies) and
    never times out on its own (``--time=0``); ``close`` ends it and
    removes its directory. Raises EngineError when it cannot start.
    """

    def __init__(self, podman, timeout, option='podman_url'):
        self.dir = tempfile.mkdtemp(prefix='hch-podman-')
        self.socket = os.path.join(self.dir, 'podman.sock')
        self.url = 'unix://' + self.socket
        try:
            self.proc = subprocess.Popen(
                [podman, 'system', 'service', '--time=0', self.url],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, preexec_fn=_end_with_parent)
        except OSError as exc:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise errors.EngineError('cannot start %s system service: %s '
                                     '(fix: install podman or set %s)'
                                     % (podman, exc, option))
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise errors.EngineError(
                    'podman system service did not start (fix: run "podman '
                    'info" to see why, or set %s)' % option)
            time.sleep(0.05)
        LOG.debug('started podman system service on %s', self.url)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def _end_with_parent():
    """In the child, before exec: have the kernel send it SIGTERM when the
    hook ends, even by SIGKILL, so that no service outlives its run
    (Linux's PR_SET_PDEATHSIG; elsewhere nothing is done)."""
    import ctypes
    import signal
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGTERM), 0, 0, 0)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _answers(path, timeout=5.0):
    """Whether a unix socket at ``path`` accepts a connection."""
    import socket
    if not os.path.exists(path):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def running_url(url=None, system_socket=SYSTEM_SOCKET):
    """The URL of a podman API that runs already: ``url`` when given, else
    the system socket when it answers, else None (nothing is started)."""
    if url:
        return url
    if system_socket and _answers(system_socket):
        return 'unix://' + system_socket
    return None


def connect(url, podman, timeout, option, system_socket=SYSTEM_SOCKET):
    """(url, service): the podman API to use, in this order: ``url``
    (configured), the system socket when it answers, else a private
    PodmanService (returned, to be closed by the caller; else None).
    ``option`` names the option that sets ``url``, for error messages."""
    found = running_url(url, system_socket)
    if found:
        return found, None
    service = PodmanService(podman, timeout, option)
    return service.url, service


def settings_for(settings, conf):
    """(settings, service): ``settings`` (conf.Settings) pointed at podman's
    API when their engine is podman (``docker_url`` = its URL, found as
    ``connect`` does from ``conf.podman``), with the private service to
    close after the run, or None; other settings as they are."""
    import dataclasses
    if settings.engine != 'podman':
        return settings, None
    url, service = connect(conf.podman.url, conf.podman.podman_path,
                           settings.start_timeout or 30, '[podman] url')
    return dataclasses.replace(settings, docker_url=url), service
