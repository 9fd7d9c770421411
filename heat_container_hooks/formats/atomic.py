"""The ``atomic`` group's config and the atomic label protocol, pure.

Config, as heat-templates' atomic hook accepted it (strictly checked here,
every problem reported at once)::

    command: install | run | uninstall | stop   (default install)
    image: <image reference>                     (required)
    name: <container name>        (default: from the deployment, see below)
    installcmd: "args" | [args]   (appended to the INSTALL command)
    opt1/opt2/opt3: "text" | [items]    (${OPT1}..${OPT3} of the labels)
    privileged: true | false      (RUN in super-privileged mode, --spc)
    environment: {NAME: value} | ["NAME=value", ...]

The label protocol: an image carries command lines in its ``INSTALL``,
``RUN``, ``UNINSTALL`` and ``STOP`` labels. ``substitute`` splits such a
line into argv with shell rules FIRST and only then replaces the variables
atomic documents inside each argv item, so a value with spaces or shell
metacharacters stays one argument and is never interpreted by a shell.
"""

import dataclasses
import hashlib
import json
import re
import shlex

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import spec as spec_mod
from heat_container_hooks import values

COMMANDS = ('install', 'run', 'uninstall', 'stop')
KEYS = ('command', 'image', 'name', 'installcmd', 'opt1', 'opt2', 'opt3',
        'privileged', 'environment')
LABELS = ('INSTALL', 'RUN', 'UNINSTALL', 'STOP')

# The variables atomic documents for label commands (atomic-run(1),
# atomic-install(1); PWD from its code). They are substituted inside argv
# items and also set in the command's environment.
VARIABLES = ('IMAGE', 'NAME', 'OPT1', 'OPT2', 'OPT3', 'CONFDIR', 'LOGDIR',
             'DATADIR', 'SUDO_UID', 'SUDO_GID', 'PWD')

# atomic's documented defaults, adapted to a hook: a hook has no terminal,
# so "-t -i --rm" becomes "-d" (detached, kept, so that the hook can wait
# for it to run and find it again).
DEFAULT_RUN = ('docker run -d -v ${LOGDIR}:/var/log -v ${DATADIR}:/var/lib '
               '--name ${NAME} ${IMAGE}')
SPC_RUN = ('docker run -d --privileged -v /:/host -v /run:/run --net=host '
           '--ipc=host --pid=host -e HOST=/host -e NAME=${NAME} '
           '-e IMAGE=${IMAGE} --name ${NAME} ${IMAGE}')

_WHOLE_RE = re.compile(r'\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|'
                       r'([A-Za-z_][A-Za-z0-9_]*))')
_BARE = ('IMAGE', 'NAME')           # legacy atomic: bare words replaced
# A reference as Docker accepts it: [host[:port]/]path[:tag][@digest].
_IMAGE_RE = re.compile(r'[a-zA-Z0-9][a-zA-Z0-9._/:@-]{0,254}')


def _clip(value, limit=40):
    """A key for a field name, never longer than ``limit``."""
    text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _show(value, limit=80):
    """A value for a message, never longer than ``limit``."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


class LabelError(ValueError):
    """A label's command line cannot be split into arguments."""


@dataclasses.dataclass(frozen=True)
class AtomicConfig:
    image: str
    command: str = 'install'
    name: str = None                 # None: the deployment's default
    installcmd: tuple = ()
    opts: tuple = (None, None, None)  # each None, a str or a tuple of str
    privileged: bool = False
    environment: tuple = ()          # (name, value|None) pairs
    run_args: tuple = ()             # appended to RUN (the container group)

    def fingerprint(self, image_id, environment):
        """Digest of everything that shapes what the labels do; only the
        digest is stored, never a value."""
        data = dataclasses.asdict(self)
        data.update(image_id=image_id, environment=list(environment))
        text = json.dumps(data, sort_keys=True, separators=(',', ':'),
                          default=list)
        return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def default_name(deployment):
    """The container name when the config gives none: the deployment's id,
    as upstream's hook did (characters a name cannot hold become -)."""
    text = re.sub(r'[^a-zA-Z0-9_.-]', '-', deployment.id or deployment.name
                  or 'atomic')
    if not text[0].isalnum():
        text = 'a' + text
    return text[:128]


def read(config, field='config'):
    """The validated AtomicConfig, or InvalidDeployment naming every
    problem."""
    config = deployment_mod.load_config_text(config, field)
    config = deployment_mod.decode_structured(config)
    problems = errors.Problems()
    if not isinstance(config, dict):
        problems.add(field, 'is a %s, not a mapping'
                     % deployment_mod.json_type(config),
                     'give {command: install|run|uninstall|stop, image: ...}')
        problems.raise_if_any()
    for key in sorted(set(config) - set(KEYS), key=str):
        problems.add('%s.%s' % (field, _clip(key)),
                     'is not a key of the atomic config',
                     'use one of %s' % ', '.join(KEYS))

    command = config.get('command', 'install')
    if command not in COMMANDS:
        problems.add(field + '.command', 'is %s' % _show(command),
                     'use one of %s' % ', '.join(COMMANDS))
        command = 'install'

    image = config.get('image')
    if image is None or image == '':
        problems.add(field + '.image', 'is missing',
                     'name the image whose labels to run')
        image = ''
    elif not isinstance(image, str) or image.startswith('-') or \
            not _IMAGE_RE.fullmatch(image):
        problems.add(field + '.image', 'is %s, not an image reference'
                     % _show(image), 'give e.g. registry/name:tag')
        image = ''

    name = config.get('name')
    if name is not None:
        if not isinstance(name, str) or \
                not spec_mod.NAME_RE.fullmatch(name):
            problems.add(field + '.name', 'is %s, not a valid container name'
                         % _show(name), 'use letters, digits, _ . - (first a '
                         'letter or digit), or leave it out to use the '
                         'default')
            name = None

    installcmd = ()
    if config.get('installcmd') not in (None, '', []):
        try:
            installcmd = values.command(config['installcmd'])
        except values.Invalid as exc:
            problems.add(field + '.installcmd', deployment_mod.short(exc),
                         'give a string or a list of arguments')
        if command != 'install':
            problems.add(field + '.installcmd', 'is only used with command:'
                         ' install, not %s' % command,
                         'remove it or use command: install')

    opts = []
    for index in (1, 2, 3):
        key = 'opt%d' % index
        value = config.get(key)
        if value is None:
            opts.append(None)
        elif isinstance(value, list):
            try:
                opts.append(values.text_list(value))
            except values.Invalid as exc:
                problems.add('%s.%s' % (field, key),
                             deployment_mod.short(exc))
                opts.append(None)
        else:
            try:
                opts.append(values.text(value))
            except values.Invalid as exc:
                problems.add('%s.%s' % (field, key),
                             deployment_mod.short(exc),
                             'give a string (one argument) or a list '
                             '(several)')
                opts.append(None)

    privileged = False
    if config.get('privileged') is not None:
        try:
            privileged = values.boolean(config['privileged'])
        except values.Invalid as exc:
            problems.add(field + '.privileged', deployment_mod.short(exc))
        if privileged and command not in ('install', 'run'):
            problems.add(field + '.privileged', 'only applies to the RUN '
                         'step (command install or run), not %s' % command,
                         'remove it')

    environment = read_environment(config.get('environment'),
                                   field + '.environment', problems)
    problems.raise_if_any()
    return AtomicConfig(image=image, command=command, name=name,
                        installcmd=installcmd, opts=tuple(opts),
                        privileged=privileged, environment=environment)


def read_environment(raw, field, problems):
    """(name, value|None) pairs from a mapping or a NAME=value list."""
    if raw is None:
        return ()
    raw = deployment_mod.decode_structured(raw)
    pairs = []
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for index, entry in enumerate(raw):
            if not isinstance(entry, str):
                problems.add('%s[%d]' % (field, index), 'is a %s, not '
                             'NAME=value' % deployment_mod.json_type(entry))
                continue
            key, sep, value = entry.partition('=')
            items.append((key, value if sep else None))
    else:
        problems.add(field, 'is a %s' % deployment_mod.json_type(raw),
                     'give a mapping or a list of NAME=value')
        return ()
    for key, value in items:
        if not isinstance(key, str) or \
                not spec_mod.ENV_NAME_RE.fullmatch(key):
            problems.add('%s.%s' % (field, _clip(key)), 'is not a valid '
                         'variable name', 'use letters, digits and _')
            continue
        try:
            pairs.append((key, values.env_value(value)))
        except values.Invalid as exc:
            problems.add('%s.%s' % (field, key),
                         deployment_mod.short(exc))
    return tuple(pairs)


def label_variables(image, name, opts=(None, None, None), confdir_base='/etc',
                    logdir_base='/var/log', datadir_base='/var/lib',
                    pwd='/', sudo_uid='0', sudo_gid='0'):
    """The documented variables' values for one label command; OPTn may be
    a tuple (several argv items)."""
    variables = {
        'IMAGE': image, 'NAME': name,
        'CONFDIR': '%s/%s' % (confdir_base.rstrip('/'), name),
        'LOGDIR': '%s/%s' % (logdir_base.rstrip('/'), name),
        'DATADIR': '%s/%s' % (datadir_base.rstrip('/'), name),
        'SUDO_UID': sudo_uid, 'SUDO_GID': sudo_gid, 'PWD': pwd,
    }
    for index, value in enumerate(opts, 1):
        variables['OPT%d' % index] = '' if value is None else value
    return variables


def as_text(value):
    return ' '.join(value) if isinstance(value, tuple) else value


def variables_env(variables):
    """The variables as environment entries of the label command."""
    return {k: as_text(v) for k, v in variables.items()}


def split(text):
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise LabelError('cannot be split into arguments (%s)' % exc)


def substitute(text, variables):
    """argv of a label's command line.

    The line is split with shell rules first; then, inside each item, the
    documented variables (``$X`` or ``${X}``) are replaced by their values.
    An item that is exactly one variable becomes that value as one item (a
    tuple value: several items; an empty value: no item at all, so there is
    never a stray empty argument). As atomic did, a bare ``IMAGE`` or
    ``NAME`` item (and ``IMAGE=IMAGE``, ``NAME=NAME``) is replaced too.
    Any other ``$word`` is left as written, for the shell inside the
    container to expand. Nothing is ever run through a shell here.
    """
    argv = []
    for item in split(text):
        whole = _WHOLE_RE.fullmatch(item)
        key = (whole.group(1) or whole.group(2)) if whole else None
        if key is None and item in _BARE:
            key = item
        if key in variables:
            value = variables[key]
            if isinstance(value, tuple):
                argv.extend(value)
            elif value != '':
                argv.append(value)
            continue
        left, sep, right = item.partition('=')
        if sep and left in _BARE and right == left:
            argv.append('%s=%s' % (left, as_text(variables[left])))
            continue
        argv.append(_WHOLE_RE.sub(
            lambda m: as_text(variables[m.group(1) or m.group(2)])
            if (m.group(1) or m.group(2)) in variables else m.group(0),
            item))
    return argv
