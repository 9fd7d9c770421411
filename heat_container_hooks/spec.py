"""The typed container model every format reader produces and every engine
consumes, with the fingerprint that decides keep vs replace.
"""

import dataclasses
import hashlib
import json
import re
from typing import Optional

RUN = 'run'
EXEC = 'exec'

# A container name as Docker accepts it.
NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$')
# An environment variable name that every tool can pass on.
ENV_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
# Settings added after containers were already deployed (see fingerprint).
LATER_FIELDS = ('pids_limit',)


@dataclasses.dataclass(frozen=True)
class Healthcheck:
    test: tuple                     # ("CMD-SHELL", "...") / ("CMD", ...)
    interval: Optional[float] = None  # seconds
    timeout: Optional[float] = None
    retries: Optional[int] = None
    start_period: Optional[float] = None


@dataclasses.dataclass(frozen=True)
class ContainerSpec:
    """One container as the deployment wants it.

    ``environment`` holds (name, value) pairs in order; a value of None means
    "the hook's own value of that variable", as ``docker run -e NAME`` does.
    ``secret_env`` names variables whose values are secrets.
    """

    name: str
    image: Optional[str] = None
    action: str = RUN
    command: Optional[tuple] = None
    exec_target: Optional[str] = None
    start_order: int = 0
    detach: bool = True
    exit_codes: tuple = (0,)
    environment: tuple = ()
    env_files: tuple = ()
    secret_env: frozenset = frozenset()
    network_mode: Optional[str] = None
    pid_mode: Optional[str] = None
    ipc_mode: Optional[str] = None
    uts_mode: Optional[str] = None
    restart: Optional[str] = None
    user: Optional[str] = None
    privileged: bool = False
    volumes: tuple = ()
    volumes_from: tuple = ()
    ports: tuple = ()
    healthcheck: Optional[Healthcheck] = None
    ulimits: tuple = ()              # ("nofile", soft, hard)
    security_opt: tuple = ()
    cap_add: tuple = ()
    cap_drop: tuple = ()
    log_tag: Optional[str] = None
    cpu_shares: Optional[int] = None
    cpuset_cpus: Optional[str] = None
    pids_limit: Optional[int] = None
    mem_limit: Optional[str] = None
    memswap_limit: Optional[str] = None
    mem_swappiness: Optional[int] = None
    stop_signal: Optional[str] = None
    stop_grace_period: Optional[int] = None
    hostname: Optional[str] = None
    extra_hosts: tuple = ()          # ("host", "ip")
    group_add: tuple = ()
    remove: bool = False
    interactive: bool = False
    tty: bool = False
    working_dir: Optional[str] = None
    entrypoint: Optional[tuple] = None
    labels: tuple = ()               # user labels (name, value)
    pull: Optional[str] = None       # missing | always | never; None: the
    #                                  deployment's or the configured one

    @property
    def is_exec(self):
        return self.action == EXEC

    @property
    def is_oneshot(self):
        return self.action == RUN and not self.detach

    @property
    def may_finish(self):
        """A detached container without a restart policy: it may end on
        its own. TripleO runs its ``*_init_logs`` chown containers this
        way and paunch never waits on them; such a container succeeds by
        running, or by exiting with one of its ``exit_codes``."""
        return (self.action == RUN and self.detach
                and (self.restart or 'no') == 'no')

    def env_dict(self):
        return dict(self.environment)

    def fingerprint(self):
        """A digest of everything that shapes the container.

        Fields that only steer the hook (order, accepted exit codes) are left
        out, so changing them never restarts a container. The environment is
        resolved before this is taken, so a changed env file or input
        replaces the container. Only the digest is stored, never a value.
        """
        text = json.dumps(self._shaping(), sort_keys=True,
                          separators=(',', ':'), default=list)
        return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]

    def _shaping(self):
        """The fields the fingerprint covers, as plain data."""
        data = dataclasses.asdict(self)
        for key in ('start_order', 'exit_codes', 'secret_env', 'env_files',
                    'pull'):
            data.pop(key)
        # Fields added later count only when set, so that containers made
        # before them keep their fingerprint.
        for key in LATER_FIELDS:
            if data[key] is None:
                data.pop(key)
        return data

    def field_digests(self):
        """{field path: short digest} of every field the fingerprint
        covers that is not at its default, item by item: ``image``,
        ``environment.A`` (by variable name; also ``labels.X`` and
        ``extra_hosts.HOST``), ``volumes[2]`` (by position in any other
        list), ``healthcheck.test``. Recorded with the fingerprint (see
        state_label) so that a replace can name what differs
        (``changed_fields``); a digest, never a value."""
        defaults = ContainerSpec(name=self.name)._shaping()
        secret = {'environment.%s' % n for n in self.secret_env}
        digests = {}
        for key, value in self._shaping().items():
            if value == defaults.get(key):
                continue
            for path, item in _paths(key, value):
                # A secret's value is never digested: labels are read
                # (and exported) more widely than the environment, and a
                # short secret could be found from its digest by trying.
                digests[path] = SECRET_MARK if path in secret else \
                    _short_digest(item)
        return digests

    def secret_paths(self):
        """The field paths whose values are secrets (``environment.X`` for
        the names in ``secret_env``), in name order."""
        return sorted('environment.%s' % n for n in self.secret_env
                      if n in self.env_dict())

    def state_label(self):
        """The value of our fingerprint label: the fingerprint, a space,
        then the field digests as JSON. A label of an earlier release
        holds the fingerprint alone; both read the same way
        (observed.ObservedContainer.fingerprint)."""
        return '%s %s' % (self.fingerprint(), json.dumps(
            self.field_digests(), sort_keys=True, separators=(',', ':')))


KEYED_FIELDS = ('environment', 'labels', 'extra_hosts')
# What field_digests records for a secret: that it is there, not a digest.
SECRET_MARK = 'secret'


def _paths(key, value):
    if isinstance(value, dict):         # healthcheck
        return [('%s.%s' % (key, k), v) for k, v in sorted(value.items())
                if v is not None]
    if key in KEYED_FIELDS:
        return [('%s.%s' % (key, pair[0]), pair[1]) for pair in value]
    if isinstance(value, (list, tuple)) and key not in ('command',
                                                        'entrypoint'):
        return [('%s[%d]' % (key, i), v) for i, v in enumerate(value)]
    return [(key, value)]


def _short_digest(value):
    text = json.dumps(value, sort_keys=True, default=list)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]


def changed_fields(recorded, spec):
    """The field paths (see ContainerSpec.field_digests) whose digest in
    ``recorded`` (what the container's label holds) differs from
    ``spec``'s, or that only one side has; in name order."""
    current = spec.field_digests()
    return sorted(path for path in set(recorded) | set(current)
                  if recorded.get(path) != current.get(path))


def replace(spec, **changes):
    return dataclasses.replace(spec, **changes)
