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
import re

# Fields that identify a container rather than configure it.
IDENTITY = {
    'Config.Hostname',       # the container id unless set (compared below)
    'Config.Labels',         # compared on the labels both tools set
    'HostConfig.ConsoleSize',  # the docker CLI's terminal size
}
# Config keys the docker CLI sets to say how it attaches to the
# container's streams while it runs: client plumbing, not settings.
# What the engine uses for a container without a StopTimeout.
ENGINE_STOP_TIMEOUT = 10
ATTACH = {'Config.AttachStdin', 'Config.AttachStdout',
          'Config.AttachStderr', 'Config.StdinOnce'}


Decision = collections.namedtuple('Decision', 'key summary reason')

# Each decision names what differs and why that is right; doc/
# compatibility.md carries the same table.
DECISIONS = collections.OrderedDict((d.key, d) for d in [
    Decision(
        'secret_masking',
        'one-shot/exec output: secrets shown as ***',
        'The hook masks secret-looking values (passwords in command '
        'lines included) in the output it returns to Heat '
        '(doc/environment.md); paunch returns them in clear.'),
    Decision(
        'failed_start_removed',
        'a container that cannot start: gone (hook), left created '
        '(paunch)',
        'When the engine cannot start a container (here: capabilities or '
        'rlimits this machine refuses), both fail the step; the hook '
        'removes the container it could not start, leaving no partial '
        'state, while `docker run` leaves it in the Created state.'),
    Decision(
        'pids_limit',
        'HostConfig.PidsLimit: set (hook), unset (paunch)',
        'TripleO emits pids_limit from Train on for podman; paunch\'s '
        'podman builder passes it, its docker builder drops it. The hook '
        'honours it on Docker too (doc/docker-cmd.md).'),
    Decision(
        'healthcheck_list',
        'healthcheck test given as a list without CMD/CMD-SHELL',
        'The hook runs the list as an argv (CMD), as Compose does; paunch '
        'passes the Python repr of the list ("[\'/a\', \'x\']") as a shell '
        'command, which cannot run. THT only uses string tests.'),
    Decision(
        'healthcheck_start_period',
        'healthcheck start_period: set (hook), dropped (paunch)',
        'paunch\'s docker builder reads test, interval, timeout and retries '
        'only; the hook passes start_period to the engine too.'),
    Decision(
        'duration_numbers',
        'a bare number as a duration (interval: 2, stop_grace_period: '
        '"1m30s")',
        'The hook reads a number as seconds and Go-style durations as '
        'durations (rounded up to whole seconds for stop_grace_period). '
        'paunch passes `--health-interval=2` (the docker CLI refuses a '
        'duration without unit) and `--stop-timeout=90.0` (refused, not an '
        'integer), so its step fails. THT uses strings with units for '
        'healthchecks and integers for stop_grace_period, which both read '
        'alike.'),
    Decision(
        'empty_env_value',
        'environment mapping with an empty or 0 value',
        'The hook sets NAME= (or NAME=0); paunch writes `--env=NAME` for '
        'any false value, so the variable comes from paunch\'s own '
        'environment or is left unset. THT passes empty strings this way '
        '(TRIPLEO_DEPLOY_IDENTIFIER), meaning empty.'),
    Decision(
        'bool_env_value',
        'environment mapping with a boolean: true (hook), True (paunch)',
        'The hook writes a YAML boolean as true/false, one spelling for '
        'every group (as Compose does); paunch formats it with Python\'s '
        'str(): True/False. TripleO\'s booleans here (KOLLA_BOOTSTRAP: '
        'true, Train on) are read for presence only by Kolla\'s scripts.'),
    Decision(
        'anonymous_volume',
        'a volume item with no source ("/data")',
        'The hook makes an anonymous volume, as Docker and Compose do; '
        'paunch refuses to start the container unless a host path of that '
        'name exists (its volume validation). THT never emits one.'),
    Decision(
        'stop_at_first_failure',
        'a step where a container fails: later containers not run (hook)',
        'When a container of a step fails (here: capabilities or rlimits '
        'this machine refuses), both fail the step; the hook stops there '
        'and starts nothing after it, while paunch goes on with the rest '
        'of the step, so its one-shots print more.'),
])


def explain_paunch_failure(detail, settings):
    """The decision explaining why paunch could not make a container the
    hook made, from paunch's error text and the container's settings."""
    if '--health-interval' in detail or '--health-timeout' in detail or \
            '--stop-timeout' in detail:
        return 'duration_numbers'
    if 'failed validations' in detail and any(
            isinstance(v, str) and v and ':' not in v
            for v in settings.get('volumes') or []):
        return 'anonymous_volume'
    return None


def same_line(ours, theirs):
    """Whether the hook's output line ``ours`` is paunch's ``theirs``,
    where the hook shows ``***`` for a secret."""
    pattern = '^%s$' % '.+?'.join(
        re.escape(part) for part in ours.split('***'))
    return re.match(pattern, theirs, re.S) is not None


def explain_output(ours, theirs):
    """'secret_masking' when the stub lines differ only where the
    hook shows ``***``, else None."""
    if len(ours) != len(theirs):
        return None
    for line in ours:
        if not any(same_line(line, other) for other in theirs):
            return None
    return 'secret_masking' if any('***' in line for line in ours) \
        else None


def explained(field, ours, theirs, oneshot):
    """The key of the decision that explains a difference in ``field``
    (ours = the hook's value, theirs = paunch's), or None."""
    if field == 'HostConfig.PidsLimit' and theirs is None:
        return 'pids_limit'
    if field == 'Config.Healthcheck' and ours and theirs:
        if theirs['Test'][0] == 'CMD-SHELL' and \
                theirs['Test'][1].startswith('['):
            return 'healthcheck_list'
        if dict(ours, StartPeriod=None) == dict(theirs, StartPeriod=None):
            return 'healthcheck_start_period'
    if field == 'Config.Env':
        mine = {e for e in ours if not _is_bool_env(e)}
        other = {e for e in theirs if not _is_bool_env(e)}
        keys = 'empty_env_value'
        if other <= mine and all(e.partition('=')[2] in ('', '0')
                                 for e in mine - other):
            if mine != set(ours) or other != set(theirs):
                if [e.lower() for e in sorted(set(ours) - mine)] == \
                        [e.lower() for e in sorted(set(theirs) - other)]:
                    return 'bool_env_value' if mine == other else keys
                return None
            return keys
    return None


def _is_bool_env(entry):
    return entry.partition('=')[2] in ('true', 'false', 'True', 'False')


def _empty(value):
    return value in (None, [], {}, '')


def _flatten(prefix, data, out):
    for key, value in (data or {}).items():
        out['%s.%s' % (prefix, key)] = value


def normalise(inspect, prefix):
    """The comparable settings of one container: {field: value}.

    Besides dropping identity fields, it makes equal what the engine
    treats as equal: an empty value and an absent one, the restart policy
    names "" and "no", no stop timeout and the engine's 10 s, binds and
    ulimits in any order, binds repeated (the docker CLI collapses ``-v``
    through a set), environment order and repeats (the last value of a
    name wins), an environment entry without ``=`` (no variable to the
    process) and none.
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
            name, sep, value = item.partition('=')
            if sep:     # a NAME alone is no variable to the process
                env[name] = item
        fields['Config.Env'] = sorted(env.values())
    if 'Config.StopTimeout' not in fields:
        fields['Config.StopTimeout'] = ENGINE_STOP_TIMEOUT
    if 'HostConfig.Ulimits' in fields:
        fields['HostConfig.Ulimits'] = sorted(
            fields['HostConfig.Ulimits'], key=lambda u: u.get('Name'))
    for key in ('HostConfig.CapAdd', 'HostConfig.CapDrop'):
        if key in fields:
            # The docker CLI writes CAP_NET_ADMIN for NET_ADMIN; the
            # engine reads both alike.
            fields[key] = sorted(c.upper().replace('CAP_', '', 1)
                                 for c in fields[key])
    for key in ('HostConfig.NetworkMode', 'HostConfig.PidMode',
                'HostConfig.IpcMode'):
        value = fields.get(key)
        if isinstance(value, str) and re.match(r'container:[0-9a-f]{64}$',
                                               value):
            # The engine stores the joined container's id.
            fields[key] = 'container:<id>'
            fields.pop('Config.Hostname', None)
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
