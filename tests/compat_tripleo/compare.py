"""Compare what heat-config-docker-cmd and paunch made of the same step.

A container is compared on the whole of ``docker inspect``'s ``Config``
and ``HostConfig`` plus its ``Mounts``, after normalising only what must
differ (names, ids, times, labels the tools own) and what a documented
decision says differs (DECISIONS; doc/compatibility.md lists them with
the same reasons). Everything else must be equal. A step is also compared
on its outcome (success or failure) and on the ``hch-stub:`` lines its
one-shots and execs printed (what their commands really ran).
"""

import collections
import json

# Fields that identify a container rather than configure it.
IDENTITY = {
    'Config.Hostname',       # the container id unless set (compared below)
    'Config.Labels',         # compared on the labels both tools set
    'HostConfig.ConsoleSize',  # the docker CLI's terminal size
}
# Config keys the docker CLI sets to say how it attaches to the
# container's streams while it runs: client plumbing, not settings.
ATTACH = {'Config.AttachStdin', 'Config.AttachStdout',
          'Config.AttachStderr', 'Config.StdinOnce'}


Decision = collections.namedtuple('Decision', 'key summary reason')

# Each decision names what differs and why that is right; doc/
# compatibility.md carries the same table.
DECISIONS = collections.OrderedDict((d.key, d) for d in [
    Decision(
        'stop_timeout',
        'Config.StopTimeout: hook 10, paunch unset',
        'The hook records its stop grace period on every container it '
        'makes (option stop_grace_period, default 10 s, the engine\'s own '
        'default), so `docker stop` by hand waits as long as the hook '
        'does. paunch leaves it unset when the config has no '
        'stop_grace_period; the engine then uses the same 10 s.'),
])


def explained(field, ours, theirs, oneshot):
    """The key of the decision that explains a difference in ``field``
    (ours = the hook's value, theirs = paunch's), or None."""
    if field == 'Config.StopTimeout' and theirs is None and ours == 10:
        return 'stop_timeout'
    return None


def _empty(value):
    return value in (None, [], {}, '')


def _flatten(prefix, data, out):
    for key, value in (data or {}).items():
        out['%s.%s' % (prefix, key)] = value


def normalise(inspect, prefix):
    """The comparable settings of one container: {field: value}.

    Besides dropping identity fields, it makes equal what the engine
    treats as equal: an empty value and an absent one, the restart policy
    names "" and "no", binds in any order or repeated (the docker CLI
    collapses ``-v`` through a set), environment order and repeats (the
    last value of a name wins).
    """
    if inspect is None:
        return None
    text = json.dumps(inspect).replace(prefix, '<name>/')
    inspect = json.loads(text)
    fields = {}
    _flatten('Config', inspect.get('Config'), fields)
    _flatten('HostConfig', inspect.get('HostConfig'), fields)
    for key in list(fields):
        if key in IDENTITY or key in ATTACH or _empty(fields[key]):
            fields.pop(key)
    labels = (inspect.get('Config') or {}).get('Labels') or {}
    fields['Labels.container_name'] = labels.get('container_name')
    fields['Labels.managed_by'] = bool(labels.get('managed_by'))
    config = inspect.get('Config') or {}
    host = inspect.get('HostConfig') or {}
    if host.get('NetworkMode') == 'host' or config.get('Hostname', '') \
            != inspect.get('Id', '')[:12]:
        fields['Config.Hostname'] = config.get('Hostname')
    policy = fields.get('HostConfig.RestartPolicy')
    if policy and policy.get('Name') in ('', 'no'):
        fields['HostConfig.RestartPolicy'] = dict(policy, Name='no')
    if 'HostConfig.Binds' in fields:
        fields['HostConfig.Binds'] = sorted(set(fields['HostConfig.Binds']))
    if 'Config.Env' in fields:
        env = collections.OrderedDict()
        for item in fields['Config.Env']:
            name, _, value = item.partition('=')
            env[name] = value
        fields['Config.Env'] = sorted('%s=%s' % kv for kv in env.items())
    mounts = []
    for mount in inspect.get('Mounts') or []:
        mounts.append((mount.get('Type'),
                       mount.get('Source') if mount.get('Type') == 'bind'
                       else None,
                       mount.get('Destination'), mount.get('Mode'),
                       mount.get('RW'), mount.get('Propagation')))
    fields['Mounts'] = sorted(set(mounts), key=repr)
    state = inspect.get('State') or {}
    fields['State'] = state.get('Status')
    fields['State.ExitCode'] = state.get('ExitCode')
    return fields


def compare_container(ours, theirs, oneshot):
    """[(field, ours, paunch, decision key or None)] for one container;
    either may be None (no such container)."""
    if ours is None or theirs is None:
        if ours is theirs:
            return []
        return [('exists', ours is not None, theirs is not None, None)]
    if not oneshot:
        # A detached container's state is a moment, not a setting: the
        # step's status says whether it started.
        for fields in (ours, theirs):
            fields.pop('State', None)
            fields.pop('State.ExitCode', None)
    diffs = []
    for field in sorted(set(ours) | set(theirs)):
        mine, other = ours.get(field), theirs.get(field)
        if mine == other:
            continue
        diffs.append((field, mine, other,
                      explained(field, mine, other, oneshot)))
    return diffs
