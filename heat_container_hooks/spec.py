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
        data = dataclasses.asdict(self)
        for key in ('start_order', 'exit_codes', 'secret_env', 'env_files',
                    'pull'):
            data.pop(key)
        # Fields added later count only when set, so that containers made
        # before them keep their fingerprint.
        for key in LATER_FIELDS:
            if data[key] is None:
                data.pop(key)
        text = json.dumps(data, sort_keys=True, separators=(',', ':'),
                          default=list)
        return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def replace(spec, **changes):
    return dataclasses.replace(spec, **changes)
