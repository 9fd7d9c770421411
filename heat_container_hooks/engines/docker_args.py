"""Creating a container on the Engine API: the arguments of the SDK's
low-level ``create_container`` for a ContainerSpec (pure: what ``docker
run`` makes of the same settings), and the create itself, which copes
with name conflicts. The docker engine adapter (and the podman engine,
through its dialect) creates containers with them.
"""

import time

from oslo_log import log as logging

from heat_container_hooks import dockerapi
from heat_container_hooks import errors
from heat_container_hooks import labels as labels_mod

LOG = logging.getLogger(__name__)


def create_kwargs(api, spec, container_labels, settings):
    """Keyword arguments of ``api.create_container`` for a ContainerSpec,
    labelled with ``container_labels`` (our state labels, added to the
    spec's own); ``settings.stop_grace_period`` (seconds) when the spec has
    none. No side effects (``api.create_host_config`` only builds a
    dict)."""
    binds, anonymous = [], []
    for volume in spec.volumes:
        if ':' in volume:
            binds.append(volume)
        else:
            anonymous.append(volume)
    ports, bindings = _ports(spec.ports)
    host_config = {
        'binds': binds or None,
        'port_bindings': bindings or None,
        'privileged': spec.privileged,
        'network_mode': spec.network_mode,
        'pid_mode': spec.pid_mode,
        'ipc_mode': spec.ipc_mode,
        'uts_mode': spec.uts_mode,
        'volumes_from': list(spec.volumes_from) or None,
        'restart_policy': _restart_policy(spec.restart),
        'cap_add': list(spec.cap_add) or None,
        'cap_drop': list(spec.cap_drop) or None,
        'security_opt': list(spec.security_opt) or None,
        'ulimits': [{'Name': n, 'Soft': s, 'Hard': h}
                    for n, s, h in spec.ulimits] or None,
        'log_config': ({'type': '', 'config': {'tag': spec.log_tag}}
                       if spec.log_tag else None),
        'cpu_shares': spec.cpu_shares,
        'cpuset_cpus': spec.cpuset_cpus,
        'pids_limit': spec.pids_limit,
        'mem_limit': spec.mem_limit,
        'memswap_limit': spec.memswap_limit,
        'mem_swappiness': spec.mem_swappiness,
        'extra_hosts': dict(spec.extra_hosts) or None,
        'group_add': list(spec.group_add) or None,
    }
    host_config = {k: v for k, v in host_config.items()
                   if v is not None and v is not False}
    healthcheck = None
    if spec.healthcheck:
        check = spec.healthcheck
        healthcheck = {'test': list(check.test)}
        for key in ('interval', 'timeout', 'start_period'):
            value = getattr(check, key)
            if value is not None:
                healthcheck[key] = int(value * 1e9)
        if check.retries is not None:
            healthcheck['retries'] = check.retries
    stop_timeout = (spec.stop_grace_period
                    if spec.stop_grace_period is not None
                    else settings.stop_grace_period)
    kwargs = {
        'image': spec.image,
        'command': list(spec.command) if spec.command is not None else None,
        'name': spec.name,
        'environment': ['%s=%s' % pair for pair in spec.environment] or None,
        'labels': dict(spec.labels, **container_labels),
        'host_config': api.create_host_config(**host_config),
        'volumes': anonymous or None,
        'ports': ports or None,
        'user': spec.user,
        'hostname': spec.hostname,
        'working_dir': spec.working_dir,
        'entrypoint': (list(spec.entrypoint) if spec.entrypoint is not None
                       else None),
        'stdin_open': spec.interactive,
        'tty': spec.tty,
        'healthcheck': healthcheck,
        'stop_signal': spec.stop_signal,
        'stop_timeout': stop_timeout,
        'detach': True,
    }
    return {k: v for k, v in kwargs.items() if v is not None}


def _ports(items):
    ports, bindings = [], {}
    for item in items:
        text, _, proto = item.partition('/')
        parts = text.split(':')
        container = parts[-1]
        key = '%s/%s' % (container, proto) if proto else container
        ports.append((container, proto) if proto else container)
        if len(parts) == 2:
            bindings[key] = parts[0] or None
        elif len(parts) == 3:
            bindings[key] = (parts[0], parts[1] or None)
    return ports, bindings


def _restart_policy(restart):
    if not restart or restart == 'no':
        return None
    name, _, count = restart.partition(':')
    policy = {'Name': name}
    if count:
        policy['MaximumRetryCount'] = int(count)
    return policy


def create(api, kwargs, owner, patience=30):
    """Create a container from ``kwargs`` (see create_kwargs); its id. A
    name conflict with a container of ``owner`` (a create that a killed
    run left in flight, a removal still in progress) is waited out (up to
    ``patience`` seconds) or taken over when its fingerprint label is the
    same, never duplicated; one with anybody else's container raises
    HookError naming it. Other engine errors are raised as they come."""
    import docker.errors
    name = kwargs['name']
    deadline = time.monotonic() + patience
    while True:
        try:
            return api.create_container(**kwargs)['Id']
        except docker.errors.APIError as exc:
            if exc.status_code != 409 or time.monotonic() > deadline:
                raise
        try:
            info = api.inspect_container(name)
        except docker.errors.NotFound:
            info = None     # being created or removed: wait
        state = ((info or {}).get('State') or {}).get('Status')
        if info is not None and state in ('removing', 'dead'):
            dockerapi.remove(api, info['Id'])
        elif info is not None:
            found = (info.get('Config') or {}).get('Labels') or {}
            if not labels_mod.owned_by(found, owner):
                raise errors.HookError(
                    'container %s already exists and is not managed by this '
                    'deployment (managed_by=%s, owner=%s) (fix: remove or '
                    'rename that container, or rename this one)'
                    % (name, found.get(labels_mod.MANAGED_BY, '-'),
                       found.get(labels_mod.OWNER, '-')))
            if found.get(labels_mod.FINGERPRINT) == \
                    kwargs['labels'][labels_mod.FINGERPRINT]:
                LOG.info('container %s was created by an earlier run of '
                         'this deployment; using it', name)
                return info['Id']
            dockerapi.remove(api, info['Id'])
        time.sleep(0.2)
