"""The Docker Engine API as every adapter uses it: one low-level SDK client
with a connection pool, one query to observe, and the waits that decide
success (running, healthy, or exited with an accepted code).

Not an engine: the docker, compose and atomic adapters all use it.
"""

import threading
import time

from oslo_log import log as logging

from heat_container_hooks import errors
from heat_container_hooks import interrupt
from heat_container_hooks import observed as observed_mod

LOG = logging.getLogger(__name__)

LOG_TAIL_LINES = 20


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


def observe(api, label_filters=None):
    """Every container (or those matching label filters), in one query."""
    filters = {'label': label_filters} if label_filters else None
    found = []
    for item in api.containers(all=True, filters=filters):
        names = item.get('Names') or ['/' + item['Id'][:12]]
        found.append(observed_mod.ObservedContainer(
            id=item['Id'], name=names[0].lstrip('/'),
            state=item.get('State', ''), labels=item.get('Labels') or {},
            image_id=item.get('ImageID', ''), image=item.get('Image', ''),
            exit_code=_exit_code_from_status(item.get('Status', '')),
            health=_health_from_status(item.get('Status', '')),
            created=item.get('Created') or 0,
            network_mode=(item.get('HostConfig') or {}).get(
                'NetworkMode') or ''))
    return found


def _health_from_status(status):
    # "Up 3 seconds (health: starting)", "Up 1 minute (healthy)"
    for mark, health in (('(health: starting)', 'starting'),
                         ('(unhealthy)', 'unhealthy'),
                         ('(healthy)', 'healthy')):
        if status.endswith(mark):
            return health
    return ''


def _exit_code_from_status(status):
    # "Exited (3) 2 seconds ago"
    if status.startswith('Exited (') and ')' in status:
        try:
            return int(status[len('Exited ('):status.index(')')])
        except ValueError:
            return None
    return None


def image_ids(api, refs):
    """{ref: image id} of the images present locally."""
    if isinstance(api, LocalReader):
        return api.image_ids(refs)
    import docker.errors
    ids = {}
    for ref in refs:
        try:
            ids[ref] = api.inspect_image(ref)['Id']
        except docker.errors.ImageNotFound:
            pass
    return ids


def ensure_images(api, refs, credentials=None):
    """Pull each image that is not present; returns {ref: image id}."""
    ids = image_ids(api, refs)
    pull_images(api, [ref for ref in refs if ref not in ids], credentials)
    return image_ids(api, refs)


def pull_images(api, refs, credentials=None, present=()):
    """Pull each image (with the credentials of its registry, if any).
    Raises EngineError naming every image that could not be pulled; an
    error the engine reports inside the pull's progress stream counts too.
    Credentials are never logged."""
    import docker.errors
    problems = []
    for ref in refs:
        repo, tag = _split_ref(ref)
        auth = credentials.for_image(ref) if credentials else None
        LOG.info('pulling image %s%s', ref,
                 ' with registry credentials' if auth else '')
        try:
            for event in api.pull(repo, tag=tag, stream=True, decode=True,
                                  auth_config=auth or None):
                if isinstance(event, dict) and event.get('error'):
                    raise docker.errors.APIError(event['error'])
        except docker.errors.DockerException as exc:
            problems.append('image %s %s could not be pulled: %s'
                            % (ref, 'is present but' if ref in present
                               else 'is not present and', reason(exc)))
    if problems:
        raise errors.EngineError('; '.join(problems) + ' (fix: build, load or'
                                 ' pull the image, fix its name, or give '
                                 'registry_auth_file)')


def _split_ref(ref):
    if '@' in ref:
        return ref, None
    name, sep, tag = ref.rpartition(':')
    if sep and '/' not in tag:
        return name, tag
    return ref, 'latest'


def state_of(info):
    state = info.get('State') or {}
    health = (state.get('Health') or {}).get('Status', '')
    return state.get('Status', ''), health, state.get('ExitCode')


def logs_tail(api, ident, lines=LOG_TAIL_LINES):
    try:
        data = api.logs(ident, stdout=True, stderr=True, tail=lines)
    except engine_errors():
        return ''
    return data.decode('utf-8', 'replace').strip()


def _health_log(info):
    entries = ((info.get('State') or {}).get('Health') or {}).get('Log') or []
    if not entries:
        return ''
    return (entries[-1].get('Output') or '').strip()[-500:]


class ContainerFailed(errors.HookError):
    def __init__(self, message, exit_code=None):
        super().__init__(message)
        self.exit_code = exit_code


def wait_ready(api, ident, name, start_timeout, healthy_timeout,
               probe_period=0, finished_codes=()):
    """Wait until the container runs, and is healthy when it has a
    healthcheck in force (its own or its image's, per the engine's inspect
    data; a ``NONE`` test means none), or, for a container that may finish
    (a detached one without a restart policy), has exited with one of
    ``finished_codes``. Returns (state, health). Raises ContainerFailed if
    it exits otherwise, turns unhealthy, or the timeout (``start_timeout``,
    or ``healthy_timeout`` with a healthcheck; seconds) passes.

    While the engine's health is still "starting", the container's own
    check is also run through exec every ``probe_period`` seconds
    (healthprobe.HealthProbe; 0: never): once a run passes, the container
    is ready and its health is returned as ``passed``."""
    with interrupt.step('waiting for container %s to be ready' % name):
        return _wait_ready(api, ident, name, start_timeout, healthy_timeout,
                           probe_period, finished_codes)


def _wait_ready(api, ident, name, start_timeout, healthy_timeout,
                probe_period, finished_codes):
    from heat_container_hooks import healthprobe
    started = time.monotonic()
    delay = 0.05
    probe = None
    while True:
        interrupt.check()
        info = api.inspect_container(ident)
        status, health, exit_code = state_of(info)
        healthy = healthprobe.healthcheck_of(info) is not None
        deadline = started + (healthy_timeout if healthy else start_timeout)
        if status == 'exited' and exit_code in finished_codes:
            return status, health
        if status in ('exited', 'dead'):
            raise ContainerFailed(
                'container %s exited with code %s while starting%s'
                % (name, exit_code, _logs_suffix(api, ident)), exit_code)
        if status == 'running':
            if not healthy or health == 'healthy':
                return status, health
            if health == 'unhealthy':
                raise ContainerFailed(
                    'container %s is unhealthy: %s' % (name,
                                                       _health_log(info)))
            if probe is None:
                probe = healthprobe.HealthProbe(api, ident, info,
                                                probe_period)
            if probe.poll():
                LOG.info('container %s: its healthcheck passed (run by '
                         'the hook; the engine still says %s)', name,
                         health or 'nothing')
                return status, healthprobe.PASSED
        if time.monotonic() >= deadline:
            what = 'healthy' if healthy else 'running'
            detail = ((probe.last_output if probe else '')
                      or _health_log(info)) if healthy else ''
            raise ContainerFailed(
                'container %s did not become %s within %gs (state %s%s)%s '
                '(fix: check the container, or raise %s_timeout)'
                % (name, what, deadline - started, status,
                   ', health ' + health if health else '',
                   ': ' + detail if detail else '',
                   'healthy' if healthy else 'start'))
        if probe is not None:
            probe.wait(delay)
        else:
            time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def exec_exit_code(api, exec_id, patience=10.0):
    """The exit code of a finished exec (int; None if the engine still
    reports it running after ``patience`` seconds). The engine can end an
    exec's output stream a moment before it records the exit code (seen
    under load), so this polls ``exec_inspect`` until Running is false."""
    deadline = time.monotonic() + patience
    delay = 0.02
    while True:
        info = api.exec_inspect(exec_id)
        if not info.get('Running') or time.monotonic() >= deadline:
            return info.get('ExitCode')
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


def run_exec(api, ident, command, timeout, user='', privileged=False,
             environment=None):
    """Run ``command`` (argv list) in the running container ``ident``, as
    ``docker exec`` does; returns (stdout, stderr, exit code), or None when
    it is still running after ``timeout`` seconds (it is left running: it
    runs in its own daemon thread, which the run does not wait for).
    Raises engine errors."""
    created = api.exec_create(ident, list(command), user=user or '',
                              privileged=privileged, environment=environment)
    done = {}

    def run():
        try:
            done['output'] = api.exec_start(created['Id'], demux=True)
        except Exception as exc:    # raised below, in the caller's thread
            done['error'] = exc
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    if 'error' in done:
        raise done['error']
    if worker.is_alive():
        return None
    out, err = done['output']
    return ((out or b'').decode('utf-8', 'replace'),
            (err or b'').decode('utf-8', 'replace'),
            exec_exit_code(api, created['Id']))


def wait_exit(api, ident, name, timeout):
    """Wait for a one-shot container to exit; returns its exit code."""
    import requests.exceptions
    try:
        with interrupt.step('waiting for one-shot container %s to exit'
                            % name):
            result = api.wait(ident, timeout=timeout)
    except requests.exceptions.ConnectionError as exc:
        if 'timed out' in str(exc).lower():
            raise ContainerFailed(
                'container %s was still running after %gs (fix: check the '
                'command, or raise oneshot_timeout)' % (name, timeout))
        raise
    except requests.exceptions.ReadTimeout:
        raise ContainerFailed(
            'container %s was still running after %gs (fix: check the '
            'command, or raise oneshot_timeout)' % (name, timeout))
    return result.get('StatusCode')


def settle(api, items, settle_time, finished_codes=None):
    """Check the started long-running containers (ContainerResults) once
    more, just before the run replies: each must still be up (running, or
    restarting under its restart policy), or, for one that may finish
    (``finished_codes``: {container id: accepted exit codes}), have exited
    with an accepted code. ``settle_time`` > 0 first gives them that many
    seconds in which to fail. One list query for all of them; logs are
    read only for those that failed."""
    items = list(items)
    if not items:
        return items
    LOG.debug('settling %d started containers (%s) for %gs', len(items),
              ', '.join(item.name for item in items), settle_time)
    if settle_time > 0:
        time.sleep(settle_time)
    found = {c['Id']: c for c in api.containers(
        all=True, filters={'id': [item.id for item in items]})}
    for item in items:
        listed = found.get(item.id)
        state = listed.get('State', '') if listed else 'removed'
        if state in ('running', 'restarting'):
            continue
        item.state = state
        item.exit_code = _exit_code_from_status(
            listed.get('Status', '')) if listed else None
        if state == 'exited' and item.exit_code in \
                (finished_codes or {}).get(item.id, ()):
            continue
        if item.exit_code is not None:
            what = 'exited with code %s' % item.exit_code
        elif listed:
            what = 'is %s' % state
        else:
            what = 'was removed'   # e.g. auto-removed when it exited
        item.error = 'container %s %s right after starting%s' % (
            item.name, what, _logs_suffix(api, item.id) if listed else '')
    return items


def split_logs(api, ident):
    """(stdout, stderr) of a finished container, as text."""
    try:
        out = api.logs(ident, stdout=True, stderr=False)
        err = api.logs(ident, stdout=False, stderr=True)
    except engine_errors():
        return '', ''
    return (out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace'))


def _logs_suffix(api, ident):
    tail = logs_tail(api, ident)
    if not tail:
        return ''
    return '; its last log lines: ' + ' | '.join(tail.splitlines()[-5:])


def remove(api, ident):
    """Force-remove a container with its anonymous volumes; one that is
    already gone (or being removed) counts as removed."""
    import docker.errors
    try:
        api.remove_container(ident, v=True, force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if 'already in progress' not in str(exc):
            raise
