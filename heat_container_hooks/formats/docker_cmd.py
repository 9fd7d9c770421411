"""The docker-cmd config: ``{container_name: {key: value}}``, the format of
heat-agents' docker-cmd hook and paunch, read into ContainerSpecs.

Every key the two accept is read (see doc/docker-cmd.md), and so is every
key tripleo-heat-templates emits in docker_config: the ones paunch leaves
to systemd or never reads are in IGNORED_KEYS. Any other key is an error,
never silently ignored.
"""

import posixpath

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import spec as spec_mod
from heat_container_hooks import values

ULIMIT_NAMES = ('core', 'cpu', 'data', 'fsize', 'locks', 'memlock',
                'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio',
                'rttime', 'sigpending', 'stack', 'as')
RESTART_POLICIES = ('no', 'always', 'unless-stopped', 'on-failure')

# Keys tripleo-heat-templates emits (Queens 8.x to Wallaby 14.x) that paunch
# does not turn into anything on the Docker engine: accepted, and ignored
# as paunch ignores them. key -> why (doc/docker-cmd.md has the same list).
IGNORED_KEYS = {
    'config_volume': 'names the puppet config volume for TripleO\'s own '
                     'tooling; paunch never reads it',
    'depends_on': 'names systemd units (tripleo_*.service) for paunch\'s '
                  'podman/systemd path; its Docker path ignores it',
    'state': 'read by TripleO\'s later tooling, never by paunch',
    'systemd_exec_flags': 'flags of the systemd unit paunch writes for '
                          'podman; no meaning on the Docker engine',
    'check_interval': 'period of the systemd healthcheck timer paunch '
                      'writes for podman; Docker runs healthchecks itself',
    'test': 'a healthcheck test misplaced outside healthcheck in THT\'s '
            'panko-api (8.x-10.x); paunch never reads it',
}


def _simple(field_name, reader):
    def read(value):
        return {field_name: reader(value)}
    return read


def _env(value):
    return {'environment': environment(value)}


def environment(value):
    """A list of NAME=value / NAME items, or a mapping; null = pass-through."""
    pairs = []
    if isinstance(value, dict):
        for name, item in value.items():
            try:
                pairs.append((str(name), values.env_value(item)))
            except values.Invalid as exc:
                raise values.Invalid('%s %s' % (name, exc))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if item in (None, ''):
                continue        # skipped, as paunch does
            if not isinstance(item, str):
                raise values.Invalid('item %d is %r, not NAME=value'
                                     % (index, item))
            name, sep, rest = item.partition('=')
            pairs.append((name, rest if sep else None))
    else:
        raise values.Invalid('must be a list of NAME=value or a mapping')
    for name, _ in pairs:
        if not spec_mod.ENV_NAME_RE.match(name):
            raise values.Invalid('has %r, not a valid variable name' % name)
    return tuple(pairs)


def _healthcheck(value):
    return {'healthcheck': healthcheck(value)}


def healthcheck(value):
    if not isinstance(value, dict):
        raise values.Invalid('must be a mapping with a test')
    unknown = set(value) - {'test', 'interval', 'timeout', 'retries',
                            'start_period', 'disable'}
    if unknown:
        raise values.Invalid('has unknown key(s) %s'
                             % ', '.join(sorted(unknown)))
    if values.boolean(value.get('disable', False)):
        return spec_mod.Healthcheck(test=('NONE',))
    test = value.get('test')
    if isinstance(test, str):
        test = ('CMD-SHELL', test)
    elif isinstance(test, list) and test and all(
            isinstance(t, str) for t in test):
        test = tuple(test)
        if test[0] not in ('CMD', 'CMD-SHELL', 'NONE'):
            test = ('CMD',) + test
    else:
        raise values.Invalid('test must be a command string or list')

    def optional(key, reader):
        return reader(value[key]) if value.get(key) is not None else None
    return spec_mod.Healthcheck(
        test=test, interval=optional('interval', values.duration),
        timeout=optional('timeout', values.duration),
        retries=optional('retries', lambda v: values.integer(v, 0)),
        start_period=optional('start_period', values.duration))


def _ulimits(value):
    """NAME=SOFT[:HARD] items, as ``docker run --ulimit`` reads them (-1:
    unlimited); every bad item is named at once, and a soft limit above
    its hard one is refused here (the engine's own message, "error setting
    rlimit type 6", would not name the field)."""
    limits, bad = {}, []
    for item in values.items(value):
        name, sep, rest = item.partition('=')
        soft, _, hard = rest.partition(':')
        try:
            soft_n = int(soft)
            hard_n = int(hard) if hard else soft_n
        except ValueError:
            soft_n = hard_n = None
        if not sep or name not in ULIMIT_NAMES:
            bad.append('%r (unknown NAME)' % item if sep else
                       '%r (not NAME=SOFT[:HARD])' % item)
        elif soft_n is None:
            bad.append('%r (not NAME=SOFT[:HARD] with numbers)' % item)
        elif hard_n != -1 and (soft_n == -1 or soft_n > hard_n):
            bad.append('%r (the soft limit is above the hard one)' % item)
        else:
            limits.pop(name, None)
            limits[name] = (name, soft_n, hard_n)   # the last one wins
    if bad:
        raise values.Invalid('has %s; each item is NAME=SOFT[:HARD], NAME '
                             'one of %s, SOFT <= HARD (-1: unlimited)'
                             % (', '.join(bad), ', '.join(sorted(
                                 ULIMIT_NAMES))))
    return {'ulimits': tuple(limits.values())}


def _extra_hosts(value):
    if isinstance(value, dict):
        pairs = [(str(k), values.text(v)) for k, v in value.items()]
    else:
        pairs = []
        for item in values.items(value):
            host, sep, address = item.partition(':')
            if not sep or not host or not address:
                raise values.Invalid('has %r, not HOST:ADDRESS' % item)
            pairs.append((host, address))
    return {'extra_hosts': tuple(pairs)}


def _restart(value):
    policy = values.text(value)
    name, _, count = policy.partition(':')
    if name not in RESTART_POLICIES or (count and (
            name != 'on-failure' or not count.isdigit())):
        raise values.Invalid('is %r, not one of no, always, unless-stopped, '
                             'on-failure[:N]' % policy)
    return {'restart': policy}


def _exit_codes(value):
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise values.Invalid('must be a non-empty list of exit codes')
    return {'exit_codes': tuple(values.integer(v, 0) for v in value)}


def _memory(field_name):
    def read(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {field_name: str(int(value))}
        text = values.text(value).strip().lower()
        if not text or not (text.rstrip('bkmg').isdigit()):
            raise values.Invalid('is %r, not a size like 512m' % (value,))
        return {field_name: text}
    return read


def _stop_grace(value):
    return {'stop_grace_period': values.whole_seconds(value)}


def _volumes(value):
    """Empty items skipped (paunch), repeated ones kept once (the docker
    CLI); two different items for one target are an error, where Docker
    would refuse the container with "Duplicate mount point"."""
    items = values.items(value)
    targets = {}
    for item in items:
        if item.startswith(':'):
            raise values.Invalid('has %r, not SOURCE:TARGET[:MODE]' % item)
        parts = item.split(':')
        target = posixpath.normpath(parts[1] if len(parts) > 1 else parts[0])
        if target in targets:
            raise values.Invalid(
                'has %r and %r for the same target %s (Docker refuses a '
                'duplicate mount point): keep one of them'
                % (targets[target], item, target))
        targets[target] = item
    return {'volumes': items}


def _cpuset_cpus(value):
    cpus = values.text(value).strip()
    # THT's default "all": no restriction, as paunch leaves --cpuset-cpus
    # out for it.
    return {'cpuset_cpus': None if cpus == 'all' else cpus}


def _net(value):
    return {'network_mode': values.text(value)}


READERS = {
    'action': None,            # read first, below
    'image': _simple('image', values.image_reference),
    'command': _simple('command', values.words),
    'start_order': _simple('start_order', values.integer),
    'detach': _simple('detach', values.boolean),
    'exit_codes': _exit_codes,
    'env_file': _simple('env_files', values.items),
    'environment': _env,
    'net': _net,
    'pid': _simple('pid_mode', values.text),
    'ipc': _simple('ipc_mode', values.text),
    'uts': _simple('uts_mode', values.text),
    'restart': _restart,
    'user': _simple('user', values.text),
    'privileged': _simple('privileged', values.boolean),
    'volumes': _volumes,
    'volumes_from': _simple('volumes_from', values.items),
    'healthcheck': _healthcheck,
    'ulimit': _ulimits,
    'security_opt': _simple('security_opt', values.items),
    'cap_add': _simple('cap_add', values.items),
    'cap_drop': _simple('cap_drop', values.items),
    'log_tag': _simple('log_tag', values.text),
    'cpu_shares': _simple('cpu_shares', lambda v: values.integer(v, 0)),
    'cpuset_cpus': _cpuset_cpus,
    'pids_limit': _simple('pids_limit', lambda v: values.integer(v, -1)),
    'pull': _simple('pull', values.pull_policy),
    'mem_limit': _memory('mem_limit'),
    'memswap_limit': _memory('memswap_limit'),
    'mem_swappiness': _simple('mem_swappiness',
                              lambda v: values.integer(v, -1)),
    'stop_signal': _simple('stop_signal', values.text),
    'stop_grace_period': _stop_grace,
    'hostname': _simple('hostname', values.text),
    'extra_hosts': _extra_hosts,
    'group_add': _simple('group_add', values.items),
    'remove': _simple('remove', values.boolean),
    'interactive': _simple('interactive', values.boolean),
    'tty': _simple('tty', values.boolean),
}
READERS.update((key, None) for key in IGNORED_KEYS)

# Keys accepted by neither heat-agents nor paunch for an exec step.
EXEC_KEYS = ('action', 'command', 'user', 'environment', 'privileged',
             'start_order', 'exit_codes', 'detach', 'tty', 'interactive')


def read(config, field='config', readers=None, fmt='docker-cmd'):
    """ContainerSpecs from a docker-cmd config (dict, YAML/JSON string, or
    empty). Raises InvalidDeployment listing every problem.

    ``readers`` replaces the key table (the neutral format extends it).
    """
    readers = READERS if readers is None else readers
    config = deployment_mod.load_config_text(config, field)
    if config in (None, '', {}, []):
        return ()
    problems = errors.Problems()
    if not isinstance(config, dict):
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is a %s, not a mapping of container names to their '
            'settings' % deployment_mod.json_type(config),
            'give {"name": {"image": ...}}')])
    specs = []
    for name, settings in config.items():
        spec = _read_container(str(name), settings, '%s.%s' % (field, name),
                               problems, readers, fmt)
        if spec is not None:
            specs.append(spec)
    _check_references(specs, field, problems)
    problems.raise_if_any()
    return tuple(specs)


def _read_container(name, settings, field, problems, readers, fmt):
    if not spec_mod.NAME_RE.match(name):
        problems.add(field, 'is not a valid container name',
                     'use letters, digits, "_", "." and "-", starting with '
                     'a letter or digit, at most 128 characters')
        return None
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        problems.add(field, 'is a %s, not a mapping of settings'
                     % deployment_mod.json_type(settings))
        return None
    fields = {'name': name}
    action = settings.get('action', spec_mod.RUN)
    if action not in (spec_mod.RUN, spec_mod.EXEC):
        problems.add(field + '.action', 'is %r, not run or exec' % (action,),
                     'use action: run (the default) or action: exec')
        return None
    fields['action'] = action
    for key, value in settings.items():
        if key not in readers:
            problems.add('%s.%s' % (field, key), 'is not a %s key' % fmt,
                         'remove it or see doc/%s.md for the keys' % fmt)
            continue
        if readers[key] is None or (value is None
                                    and key != 'environment'):
            continue            # action (read above) or an ignored key
        if action == spec_mod.EXEC and key not in EXEC_KEYS:
            problems.add('%s.%s' % (field, key), 'does not apply to an exec '
                         'step', 'remove it, or use action: run')
            continue
        try:
            fields.update(readers[key](value))
        except values.Invalid as exc:
            problems.add('%s.%s' % (field, key), str(exc))
    if action == spec_mod.EXEC:
        command = fields.get('command') or ()
        if len(command) < 2:
            problems.add(field + '.command', 'must name the target container '
                         'and the command to run in it',
                         'give command: [target_container, cmd, args...]')
            return None
        fields['exec_target'] = command[0]
        fields['command'] = tuple(command[1:])
    elif not fields.get('image'):
        problems.add(field + '.image', 'is missing',
                     'give the image to run, e.g. image: repo/name:tag')
        return None
    return spec_mod.ContainerSpec(**fields)


def _check_references(specs, field, problems):
    names = {s.name for s in specs}
    for spec in specs:
        for ref in spec.volumes_from:
            ref_name = ref.split(':')[0]
            if ref_name not in names:
                # May be a container of the host; only warn through the
                # engine if it is missing. Names must be valid though.
                if not spec_mod.NAME_RE.match(ref_name):
                    problems.add('%s.%s.volumes_from' % (field, spec.name),
                                 'names %r, not a container' % ref)
