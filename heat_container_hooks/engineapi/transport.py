"""Reaching the Docker Engine API: the SDK's low-level client over one
connection pool, the light standard-library reader of a local socket, the
EngineAccess that picks between them, and what an engine failure is."""

import threading

from oslo_log import log as logging

from heat_container_hooks import errors

LOG = logging.getLogger(__name__)


def client(settings, version=None):
    """A low-level client (docker.APIClient) over one connection pool.
    ``version``: the engine's API version when it is already known (a
    LocalReader saw it), which spares the client its version query."""
    import docker
    import docker.errors
    kwargs = {'timeout': settings.docker_api_timeout,
              'max_pool_size': 64, 'version': version or 'auto'}
    try:
        if settings.docker_url:
            api = docker.APIClient(base_url=settings.docker_url, **kwargs)
        else:
            params = docker.utils.kwargs_from_env()
            api = docker.APIClient(**params, **kwargs)
    except docker.errors.DockerException as exc:
        raise errors.EngineError(
            'cannot reach the Docker engine at %s: %s (fix: start dockerd or '
            'set docker_url)' % (settings.docker_url or 'the default socket',
                                 reason(exc)))
    return api


def engine_errors():
    """The exceptions that mean the engine or the network failed."""
    import docker.errors
    import requests.exceptions
    return (docker.errors.DockerException,
            requests.exceptions.RequestException, OSError)


def reason(exc):
    explanation = getattr(exc, 'explanation', None)
    if explanation:
        return str(explanation)
    return ' '.join(str(exc).split())[:300]


def engine_failure(exc, what='the Docker engine'):
    """The HookError for one of ``engine_errors()``."""
    return errors.EngineError(
        '%s failed: %s (fix: check that it runs and answers, then run the '
        'deployment again)' % (what, reason(exc)))


class ReaderError(Exception):
    """The light reader got an answer it does not handle."""


class LocalReader:
    """Read-only Engine API calls over a local unix socket, with the
    standard library only.

    Observing is all a run with nothing to change does (an empty deployment,
    a no-op re-apply, a DELETE of nothing). Without the SDK (docker and
    requests: 0.1-0.2 s of imports) such a run starts and answers sooner.
    Anything unexpected raises ReaderError or OSError, and the caller falls
    back to the SDK client, which reports real failures as usual.
    """

    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout
        self.api_version = None     # the engine's, from its answers

    def _get(self, path):
        import socket
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        chunks = []
        try:
            sock.connect(self.path)
            # HTTP/1.0: one request, the engine closes after the body.
            sock.sendall(('GET %s HTTP/1.0\r\nHost: docker\r\n\r\n'
                          % path).encode('ascii'))
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        finally:
            sock.close()
        head, sep, body = b''.join(chunks).partition(b'\r\n\r\n')
        parts = head.split(b' ', 2)
        if not sep or len(parts) < 2 or not parts[1].isdigit() or \
                b'chunked' in head.lower():
            raise ReaderError('unexpected answer to GET %s' % path)
        for line in head.split(b'\r\n')[1:]:
            key, _, value = line.partition(b':')
            if key.strip().lower() == b'api-version':
                self.api_version = value.strip().decode('ascii', 'replace')
        return int(parts[1]), body

    def containers(self, all=False, filters=None):
        """As APIClient.containers(all=..., filters=...)."""
        import json
        import urllib.parse
        query = {'all': '1' if all else '0'}
        if filters:
            query['filters'] = json.dumps(filters)
        status, body = self._get('/containers/json?'
                                 + urllib.parse.urlencode(query))
        if status != 200:
            raise ReaderError('GET /containers/json: %s' % status)
        return json.loads(body)

    def image_ids(self, refs):
        """{ref: image id} of the images present locally."""
        import json
        import urllib.parse
        ids = {}
        for ref in refs:
            status, body = self._get('/images/%s/json'
                                     % urllib.parse.quote(ref, safe='/:@'))
            if status == 200:
                ids[ref] = json.loads(body)['Id']
            elif status != 404:
                raise ReaderError('GET /images/%s/json: %s' % (ref, status))
        return ids


def local_reader(settings):
    """A LocalReader when the engine is a local unix socket (as the SDK
    client would pick it), else None."""
    import os
    url = settings.docker_url or os.environ.get('DOCKER_HOST') or \
        'unix:///var/run/docker.sock'
    for scheme in ('unix://', 'http+unix://'):
        if url.startswith(scheme):
            return LocalReader(url[len(scheme):],
                               settings.docker_api_timeout)
    return None


# What makes the light reader give way to the SDK client.
READER_ERRORS = (OSError, ValueError, KeyError, ReaderError)


class EngineAccess:
    """The engine as an adapter reaches it: reads through the light
    reader while it copes, everything else through the SDK client, which
    is made once, on first use (or ahead of it, see ``warm_up``)."""

    def __init__(self, settings, api=None):
        self.settings = settings
        self._api = api
        self._lock = threading.Lock()
        self.reader = None if api is not None else local_reader(settings)

    @property
    def api(self):
        with self._lock:
            if self._api is None:
                # read() may drop the reader from another thread meanwhile.
                reader = self.reader
                self._api = client(self.settings, version=(
                    reader.api_version if reader else None))
            return self._api

    def warm_up(self):
        """Make the SDK client in the background (importing the SDK costs
        ~0.1 s of CPU) while this process waits on something else, such as
        a compose command. A failure shows on the next use of ``api``.
        Returns the thread, or None when there is a client already."""
        def make():
            try:
                self.api
            except Exception:   # reported where the client is used
                pass
        if self._api is not None:
            return None
        thread = threading.Thread(target=make, daemon=True)
        thread.start()
        return thread

    def read(self, func):
        """func(reader) when there is a light reader and it copes, else
        func(SDK client)."""
        if self.reader is not None:
            try:
                return func(self.reader)
            except READER_ERRORS as exc:
                # No traceback: a hook's stderr never carries one.
                LOG.debug('light reader failed (%s: %s), using the SDK '
                          'client', type(exc).__name__, exc)
                self.reader = None
        return func(self.api)

    def close(self):
        with self._lock:
            if self._api is not None:
                self._api.close()
