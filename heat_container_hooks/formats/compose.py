"""The docker-compose format: reading and validating a compose config as
Heat sends it, and the plan of the project the hook writes. Pure: nothing
here touches a file or an engine.

Accepted layouts: v1 (services at the top level) and v2/v3 (``version`` /
``services:``), as a mapping or as YAML/JSON text. The project is written
in the Compose Specification layout (no ``version``), which Compose v2 and
docker-compose 1.27+ both read.
"""

import dataclasses
import hashlib
import json
import posixpath
import re

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import labels as labels_mod

COMPOSE_FILE = 'docker-compose.yml'
# Where earlier releases kept the secret inputs. ``.env`` is Compose's own
# interpolation file: it now belongs to the deployment's env_files, and a
# copy left by an earlier release is removed (see engines/compose.py).
LEGACY_INPUTS_ENV_FILE = '.env'
# Who the project belongs to; cleanup only touches projects that carry it.
MARKER_FILE = '.heat-container-hooks.json'
# What the last successful up left: a digest of its files and inputs and
# the container of each service (see engines/compose.py).
APPLIED_FILE = '.heat-container-hooks.applied.json'
RESERVED_FILES = (COMPOSE_FILE, MARKER_FILE, APPLIED_FILE)
SECRETS_DIR = '.secrets'
ENV_FILES_INPUT = 'env_files'

# Labels a service may carry to steer the hook (see doc/docker-compose.md).
ONESHOT_LABEL = 'heat_container_hooks.oneshot'
EXIT_CODES_LABEL = 'heat_container_hooks.exit_codes'

# Compose's own labels on the containers it makes.
PROJECT_LABEL = 'com.docker.compose.project'
SERVICE_LABEL = 'com.docker.compose.service'
ONEOFF_LABEL = 'com.docker.compose.oneoff'
NUMBER_LABEL = 'com.docker.compose.container-number'

TOP_LEVEL_KEYS = ('version', 'services', 'networks', 'volumes', 'secrets',
                  'configs', 'name')
SERVICE_NAME_RE = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$')
PROJECT_NAME_LENGTH = 40
# v1 layout keys with another name in the Compose Specification.
_V1_RENAMES = {'net': 'network_mode'}


@dataclasses.dataclass(frozen=True)
class ProjectFile:
    """A file of the project: ``path`` relative to the project dir."""

    path: str
    content: str
    mode: int = 0o600


@dataclasses.dataclass(frozen=True)
class Project:
    """What the hook writes and runs for one deployment."""

    name: str                      # compose project name (-p)
    compose: dict                  # services etc., without our labels
    files: tuple = ()              # env files (ProjectFile)
    variables: tuple = ()          # public interpolation variables
    secrets: tuple = ()            # secret interpolation variables
    secret_values: tuple = ()      # every secret value (for redaction)
    notes: tuple = ()              # what reading the config could not keep

    @property
    def services(self):
        return tuple((self.compose.get('services') or {}).keys())

    def service(self, name):
        return (self.compose.get('services') or {}).get(name) or {}


# -- reading ---------------------------------------------------------------

def load(config, field='config'):
    """The compose mapping (Compose Specification layout, services under
    ``services``) from a dict or YAML/JSON text; None when empty. See
    ``load_with_notes``."""
    return load_with_notes(config, field)[0]


def load_with_notes(config, field='config'):
    """(compose mapping or None, notes) from a config as Heat sends it.

    Text (SoftwareConfig, ``get_file``) is read as YAML 1.2, as Compose v2
    reads it (``ports: [47:47]``, ``restart: no``, ``ENABLED: yes`` stay
    the strings written). A mapping was already read by Heat with YAML
    1.1 rules: it is normalised per the compose schema (``restart:
    false`` -> ``"no"``) and ``notes`` name what cannot be recovered (a
    boolean variable, a port that may have been ``HH:MM``). Raises
    InvalidDeployment naming every bad field."""
    notes = []
    if isinstance(config, str):
        if not config.strip():
            return None, ()
        config = load_yaml12(config, field)
    elif isinstance(config, dict):
        config = _from_heat_yaml11(config, field, notes)
    if config is None or config == {}:
        return None, ()
    if not isinstance(config, dict):
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is a %s, not a compose mapping'
            % deployment_mod.json_type(config),
            'give services at the top level (v1) or under services: '
            '(v2/v3)')])
    problems = errors.Problems()
    _check_keys(config, field, problems)
    problems.raise_if_any()
    if _is_v2_layout(config):
        # The deployment names the project (compose -p, which wins over
        # name: in Compose v2; v1 does not know name:).
        compose = {k: v for k, v in config.items()
                   if k not in ('version', 'name')}
    else:
        compose = {'services': {name: _from_v1(service)
                                for name, service in config.items()}}
    validate(compose, field)
    compose['services'] = {name: _normalise(service) for name, service
                           in compose['services'].items()}
    return compose, tuple(notes)


def load_yaml12(text, field='config'):
    """Compose file text read by YAML 1.2 rules (ruamel.yaml, the pure
    safe loader), as Compose v2 (go-yaml v3) reads it: only true/false are
    booleans, ``47:47`` and ``no`` are strings, anchors and ``<<`` merge
    keys resolve, a repeated key is an error. A timestamp stays its text
    (go-yaml keeps it a string too). Raises InvalidDeployment."""
    from ruamel.yaml import constructor
    from ruamel.yaml import error as yaml_error
    from ruamel.yaml import YAML

    class _Constructor(constructor.SafeConstructor):
        pass

    _Constructor.add_constructor('tag:yaml.org,2002:timestamp',
                                 _Constructor.construct_yaml_str)
    yaml = YAML(typ='safe', pure=True)
    yaml.Constructor = _Constructor
    try:
        return yaml.load(text)
    except (yaml_error.YAMLError, yaml_error.YAMLStreamError,
            RecursionError, ValueError) as exc:
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is a string that is not valid YAML or JSON (%s)'
            % deployment_mod.short(exc), 'give the config as a mapping or '
            'valid YAML')])


def _from_heat_yaml11(config, field, notes):
    """A config Heat parsed (YAML 1.1 rules) made what its text meant for
    the compose schema; appends to ``notes`` what cannot be known."""
    layout_v2 = _is_v2_layout(config)
    services = config.get('services') if layout_v2 else config
    if not isinstance(services, dict):
        return config
    fixed = {}
    for name, service in services.items():
        where = '%s%s.%s' % (field, '.services' if layout_v2 else '', name)
        fixed[name] = _service_from_yaml11(service, where, notes) \
            if isinstance(service, dict) else service
    return dict(config, services=fixed) if layout_v2 else fixed


def _service_from_yaml11(service, where, notes):
    service = dict(service)
    if service.get('restart') is False:
        # no, off and false all mean the "no" policy.
        service['restart'] = 'no'
    for key in ('environment', 'labels'):
        value = service.get(key)
        if not isinstance(value, dict):
            continue
        for var, item in value.items():
            if isinstance(item, bool):
                notes.append(
                    '%s.%s.%s is a boolean in a config that Heat read with '
                    'YAML 1.1 rules (true, yes and on are alike): passed as '
                    '"%s"; quote the value in the template to pass it as '
                    'written' % (where, key, var, str(item).lower()))
    ports = service.get('ports')
    for index, port in enumerate(ports if isinstance(ports, list) else ()):
        if isinstance(port, int) and not isinstance(port, bool) and \
                port >= 60:
            notes.append(
                '%s.ports[%d] is the number %d, which YAML 1.1 also makes '
                'of "%d:%02d": published as container port %d; quote the '
                'mapping in the template ("%d:%02d") if that was meant'
                % (where, index, port, port // 60, port % 60, port,
                   port // 60, port % 60))
    return service


def _check_keys(value, field, problems):
    """YAML reads unquoted keys such as on/off/no/yes as booleans; compose
    needs strings everywhere."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                problems.add(field, 'has the key %r, which is not a string'
                             % (key,), 'quote the key in the YAML (on, off,'
                             ' yes, no and numbers are read as values)')
                continue
            _check_keys(item, '%s.%s' % (field, key), problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_keys(item, '%s[%d]' % (field, index), problems)


def _is_v2_layout(config):
    if 'version' in config:
        return True
    services = config.get('services')
    return isinstance(services, dict) and not (
        'image' in services or 'build' in services)


def _from_v1(service):
    if not isinstance(service, dict):
        return service
    converted = {}
    for key, value in service.items():
        if key == 'log_driver':
            converted.setdefault('logging', {})['driver'] = value
        elif key == 'log_opt':
            converted.setdefault('logging', {})['options'] = value
        else:
            converted[_V1_RENAMES.get(key, key)] = value
    return converted


def _normalise(service):
    """YAML booleans in environment and labels become the text compose
    expects ("true"/"false"); nulls stay (pass-through)."""
    if not isinstance(service, dict):
        return service
    service = dict(service)
    for key in ('environment', 'labels'):
        value = service.get(key)
        if isinstance(value, dict):
            service[key] = {k: (('true' if v else 'false')
                                if isinstance(v, bool) else v)
                            for k, v in value.items()}
    return service


def validate(compose, field='config'):
    """Every problem of a compose mapping at once."""
    problems = errors.Problems()
    for key in compose:
        if key not in TOP_LEVEL_KEYS and not key.startswith('x-'):
            problems.add('%s.%s' % (field, key), 'is not a top-level key of '
                         'a compose file', 'use one of %s, or put services '
                         'under services:' % ', '.join(TOP_LEVEL_KEYS))
    for kind in ('secrets', 'configs'):
        for name, item in (compose.get(kind) or {}).items() \
                if isinstance(compose.get(kind), dict) else ():
            if isinstance(item, dict) and 'file' in item and not str(
                    item['file']).startswith('/'):
                _check_relative(item['file'], '%s.%s.%s.file'
                                % (field, kind, name), problems)
    services = compose.get('services')
    if not isinstance(services, dict) or not services:
        problems.add(field + '.services', 'must be a mapping of service '
                     'names to services', 'add at least one service')
        problems.raise_if_any()
    for name, service in services.items():
        where = '%s.services.%s' % (field, name)
        if not isinstance(name, str) or not SERVICE_NAME_RE.match(name):
            problems.add(where, 'is not a valid service name', 'use letters,'
                         ' digits, "_", "." and "-", starting with a letter '
                         'or digit')
            continue
        if not isinstance(service, dict):
            problems.add(where, 'must be a mapping, not %s'
                         % deployment_mod.json_type(service))
            continue
        if not isinstance(service.get('image'), str) or \
                not service['image'].strip():
            problems.add(where + '.image', 'is missing', 'set the image to '
                         'run; the hook does not build images')
        _check_env_file(service.get('env_file'), where + '.env_file',
                        problems)
        _check_volumes(service.get('volumes'), where + '.volumes', problems)
        _check_labels(service.get('labels'), where + '.labels', problems)
        extends = service.get('extends')
        if isinstance(extends, dict) and 'file' in extends:
            _check_relative(extends['file'], where + '.extends.file',
                            problems)
    problems.raise_if_any()


def _check_env_file(value, field, problems):
    items = value if isinstance(value, list) else [value]
    if value is None:
        return
    for index, item in enumerate(items):
        path = item.get('path') if isinstance(item, dict) else item
        where = field if not isinstance(value, list) else '%s[%d]' % (
            field, index)
        if not isinstance(path, str):
            problems.add(where, 'must be a file name')
            continue
        _check_relative(path, where, problems)


def _check_volumes(value, field, problems):
    if value is None:
        return
    if not isinstance(value, list):
        problems.add(field, 'must be a list')
        return
    for index, item in enumerate(value):
        source = item.get('source') if isinstance(item, dict) else (
            item.split(':', 1)[0] if isinstance(item, str) else None)
        if isinstance(source, str) and source.startswith('.') and \
                '..' in source.replace('\\', '/').split('/'):
            problems.add('%s[%d]' % (field, index),
                         'mounts %s, outside the project directory' % source,
                         'use a path inside the project or an absolute '
                         'host path')


def _check_labels(value, field, problems):
    if value is None:
        return
    if isinstance(value, dict):
        keys = value.keys()
    elif isinstance(value, list):
        keys = [str(v).partition('=')[0] for v in value]
    else:
        problems.add(field, 'must be a mapping or a list of name=value')
        return
    if ONESHOT_LABEL in keys or EXIT_CODES_LABEL in keys:
        try:
            _exit_codes(_label_dict(value))
        except ValueError:
            problems.add('%s.%s' % (field, EXIT_CODES_LABEL),
                         'must be whole numbers separated by commas',
                         'e.g. "0,2"')


def _check_relative(path, field, problems):
    """A path the project refers to: relative, and inside the project."""
    reason = relative_path_problem(path)
    if reason:
        problems.add(field, reason, 'use a file name relative to the '
                     'project directory, without ".."')


def relative_path_problem(path):
    if not isinstance(path, str) or not path.strip():
        return 'must be a non-empty file name'
    if '\0' in path or '\\' in path:
        return 'contains a NUL or a backslash'
    if path.startswith('/') or path.startswith('~'):
        return 'is an absolute path (%s)' % path
    parts = posixpath.normpath(path).split('/')
    if '..' in path.split('/') or parts[0] == '..':
        return 'goes outside the project directory (%s)' % path
    return ''


# -- the project name --------------------------------------------------------

def project_name(deployment, field='name'):
    """Compose project name: the sanitised deployment name and a short
    hash of the owner (stable across UPDATEs, unique per stack and
    resource)."""
    name = deployment.name or ''
    if name in ('.', '..') or any(c in name for c in '/\\\0') or any(
            ord(c) < 32 for c in name):
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is %r, which cannot name a project directory' % name,
            'name the deployment without "/", "\\", ".." or control '
            'characters')])
    base = re.sub(r'[^a-z0-9_-]+', '-', name.lower()).strip('-_')
    base = base[:PROJECT_NAME_LENGTH].rstrip('-_') or 'deployment'
    digest = hashlib.sha256(deployment.owner_key.encode('utf-8'))
    return '%s-%s' % (base, digest.hexdigest()[:8])


# -- the env_files input -----------------------------------------------------

def env_files(value, field='inputs.env_files'):
    """ProjectFiles from the env_files input: a list of {file_name,
    content}, as a list, a JSON string or the dispatcher's Python repr.

    As heat-agents' hook writes them: any name relative to the project
    directory (``./common.env``, ``.env.production``, ``apps/web.env``;
    stored under its normalised path) and the content byte for byte (no
    newline added). Raises InvalidDeployment naming each bad item."""
    if value is None or value == '':
        return ()
    decoded = deployment_mod.decode_structured(value)
    if not isinstance(decoded, list):
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is not a list of {file_name, content} (got %s)'
            % deployment_mod.json_type(decoded),
            'pass a list, as JSON or as the structure itself')])
    problems, files, seen = errors.Problems(), [], set()
    for index, item in enumerate(decoded):
        where = '%s[%d]' % (field, index)
        if not isinstance(item, dict):
            problems.add(where, 'must be a mapping with file_name and '
                         'content')
            continue
        name = item.get('file_name')
        reason = file_name_problem(name)
        if reason:
            problems.add(where + '.file_name', reason,
                         'use a name relative to the project directory, '
                         'such as app.env, ./common.env or conf/app.env')
            continue
        name = posixpath.normpath(name)
        if name in seen:
            problems.add(where + '.file_name', 'repeats %s' % name,
                         'give each file once')
            continue
        seen.add(name)
        content = item.get('content')
        if content is None:
            content = ''
        if not isinstance(content, str):
            problems.add(where + '.content', 'is a %s, not text'
                         % deployment_mod.json_type(content),
                         'give the file content as a string')
            continue
        files.append(ProjectFile(name, content))
    problems.raise_if_any()
    return tuple(files)


def file_name_problem(name):
    """Why an env_files name cannot be written, or '': it must stay inside
    the project directory, name a file (not the directory itself) and not
    be one of the hook's own files."""
    reason = relative_path_problem(name)
    if reason:
        return reason
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return 'is %r, which holds a control character' % name
    normal = posixpath.normpath(name)
    if normal == '.' or name.endswith('/'):
        return 'is %r, which names a directory, not a file' % name
    if normal in RESERVED_FILES or normal.split('/')[0] == SECRETS_DIR:
        return 'is %r, a name the hook keeps for itself' % name
    return ''


def env_file_secrets(files, is_secret):
    """Values in env files whose variable names are secret."""
    from heat_container_hooks import environment
    found = []
    for item in files:
        for name, value in environment.parse_env_file(item.content):
            if value and is_secret(name):
                found.append(value)
    return found


def service_env_secrets(compose, is_secret):
    """Values written into services' ``environment`` (mapping or
    NAME=value list) whose variable names are secret; a value that only
    refers to a variable (``${db_password}``) is not one: what it refers to
    is masked as an input."""
    found = []
    for service in ((compose or {}).get('services') or {}).values():
        env = (service or {}).get('environment') if isinstance(
            service, dict) else None
        if isinstance(env, dict):
            pairs = env.items()
        elif isinstance(env, list):
            pairs = (str(e).partition('=')[::2] for e in env)
        else:
            pairs = ()
        for name, value in pairs:
            if isinstance(value, str) and value and is_secret(str(name)) \
                    and not _VARIABLE_ONLY.match(value):
                found.append(value)
    return found


_VARIABLE_ONLY = re.compile(r'^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)$')


# -- writing -----------------------------------------------------------------

def dotenv_line(name, value, field):
    """One NAME='value' line that Compose v1 and v2 both read literally."""
    if "'" in value or '\n' in value or '\r' in value:
        raise errors.InvalidDeployment([errors.Problem(
            field, 'holds a single quote or a line break, which a compose '
            'env file cannot carry literally',
            'remove it from the secret, or stop treating the input as '
            'secret')])
    return "%s='%s'\n" % (name, value)


def plan(deployment, compose, inputs, extra_files=(), field='inputs',
         read_env_files=True):
    """The Project for a deployment: name, compose mapping, env files and
    the interpolation variables (public and secret alike reach Compose in
    its process environment, which Compose reads before ``.env``)."""
    problems = errors.Problems()
    name = problems.collect(project_name, deployment)
    files = problems.collect(env_files, deployment.input_value(
        ENV_FILES_INPUT)) if read_env_files else ()
    public = tuple((n, v) for n, v in inputs.public()
                   if n != ENV_FILES_INPUT) if inputs else ()
    secrets = tuple((n, v) for n, v in inputs.secrets()
                    if n != ENV_FILES_INPUT) if inputs else ()
    problems.raise_if_any()
    return Project(name=name, compose=compose,
                   files=tuple(files) + tuple(extra_files), variables=public,
                   secrets=secrets,
                   secret_values=tuple(v for _, v in secrets))


def with_labels(compose, owner, inputs_digest=''):
    """The compose mapping with our ownership labels on every service
    (stable across UPDATEs: no config id, so an UPDATE recreates only the
    services whose own config changed). A one-shot service also gets a
    fingerprint of its settings and of the project's inputs and files: a
    finished one-shot is run again only when that changes."""
    ours = {labels_mod.MANAGED_BY: owner.managed_by,
            labels_mod.OWNER: owner.key,
            labels_mod.STACK_ID: owner.stack_id,
            labels_mod.RESOURCE_NAME: owner.resource_name}
    services = {}
    awaited = completion_awaited(compose)
    for name, service in compose['services'].items():
        service = dict(service)
        service['labels'] = dict(_label_dict(service.get('labels')), **ours)
        if name in awaited:
            service['labels'].setdefault(ONESHOT_LABEL, 'true')
        if service_wait(service)[0]:
            service['labels'][labels_mod.FINGERPRINT] = _digest(
                [service, inputs_digest])
        services[name] = service
    return dict(compose, services=services)


def inputs_digest(project):
    """A digest of what reaches services besides their own settings."""
    return _digest([list(project.variables), list(project.secrets),
                    [(f.path, f.content) for f in project.files]])


def project_digest(project, files):
    """A digest of everything compose is given for a project: the
    rendered files and the interpolation variables (secret ones too)."""
    return _digest([[[f.path, f.content] for f in files],
                    list(project.variables), list(project.secrets)])


def _digest(data):
    text = json.dumps(data, sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode('utf-8')).hexdigest()[:32]


def render(project, owner):
    """Every file of the project as ProjectFiles (compose file, marker,
    env files)."""
    compose = with_labels(project.compose, owner, inputs_digest(project))
    text = json.dumps(compose, indent=2, sort_keys=True) + '\n'
    marker = json.dumps({'project': project.name,
                         'managed_by': owner.managed_by,
                         'owner': owner.key,
                         'files': sorted(f.path for f in project.files)},
                        sort_keys=True) + '\n'
    return (ProjectFile(COMPOSE_FILE, text),
            ProjectFile(MARKER_FILE, marker)) + tuple(project.files)


def _label_dict(value):
    if isinstance(value, dict):
        return {str(k): '' if v is None else str(v) for k, v in value.items()}
    if isinstance(value, list):
        return dict(str(v).partition('=')[::2] for v in value)
    return {}


def _exit_codes(labels):
    text = labels.get(EXIT_CODES_LABEL, '0')
    return tuple(int(part) for part in text.split(',') if part.strip())


def completion_awaited(compose):
    """The services another service waits on with ``depends_on: {name:
    {condition: service_completed_successfully}}``: one-shots, as
    ``docker compose up --wait`` judges them (they must exit 0)."""
    awaited = set()
    for service in (compose.get('services') or {}).values():
        depends = service.get('depends_on') if isinstance(
            service, dict) else None
        if not isinstance(depends, dict):
            continue            # the list form means service_started
        for name, condition in depends.items():
            if isinstance(condition, dict) and condition.get(
                    'condition') == 'service_completed_successfully':
                awaited.add(name)
    return awaited


def expected_services(compose, environ):
    """The services Compose runs on ``up``: not those whose ``profiles``
    are all inactive (``COMPOSE_PROFILES`` in ``environ``, a mapping of
    the variables Compose sees), nor those scaled to 0."""
    active = {p.strip() for p in str(
        environ.get('COMPOSE_PROFILES') or '').split(',') if p.strip()}
    expected = []
    for name, service in (compose.get('services') or {}).items():
        service = service if isinstance(service, dict) else {}
        profiles = service.get('profiles')
        if profiles and '*' not in active and not active.intersection(
                str(p) for p in profiles):
            continue
        replicas = (service.get('deploy') or {}).get('replicas') if \
            isinstance(service.get('deploy'), dict) else None
        if service.get('scale', replicas) in (0, '0'):
            continue
        expected.append(name)
    return tuple(expected)


def service_wait(service):
    """(one-shot, accepted exit codes) of a service."""
    labels = _label_dict(service.get('labels'))
    oneshot = labels.get(ONESHOT_LABEL, '').lower() in ('true', '1', 'yes')
    return oneshot, _exit_codes(labels)


# -- neutral specs -> compose ------------------------------------------------

def _esc(value):
    """A literal value: compose interpolates "$", so it is doubled."""
    return value.replace('$', '$$')


def _seconds(value):
    return '%gs' % value


def render_specs(specs, field='config'):
    """A compose mapping (Compose Specification layout) from
    ContainerSpecs. One-shots (detach false) get restart "no" and the
    one-shot label, so the engine waits for their exit; start_order
    becomes depends_on. Secret variables are not rendered: they go through
    ``secret_env_files`` (0600 files named by env_file)."""
    problems = errors.Problems()
    services = {}
    names = {s.name for s in specs}
    for spec in specs:
        where = '%s.%s' % (field, spec.name)
        if spec.is_exec:
            problems.add(where + '.action', 'is exec, which compose cannot '
                         'carry out', 'run it with the container group on '
                         'the docker engine')
            continue
        if spec.uts_mode:
            problems.add(where + '.uts', 'cannot be set with compose',
                         'drop it, or use the docker engine')
        if spec.remove:
            problems.add(where + '.remove', 'cannot be honoured by compose',
                         'drop it, or use the docker engine')
        if spec.pull:
            problems.add(where + '.pull', 'cannot be honoured by compose',
                         'drop it, or use the docker engine')
        services[spec.name] = _render_spec(spec, specs, names, where,
                                           problems)
    problems.raise_if_any()
    return {'services': services}


def _render_spec(spec, specs, names, where, problems):
    svc = {'image': spec.image}
    if spec.command is not None:
        svc['command'] = [_esc(c) for c in spec.command]
    if spec.entrypoint is not None:
        svc['entrypoint'] = [_esc(c) for c in spec.entrypoint]
    env = {n: _esc(v) for n, v in spec.environment
           if n not in spec.secret_env and v is not None}
    if env:
        svc['environment'] = env
    if any(n in spec.secret_env for n, _ in spec.environment):
        svc['env_file'] = [secret_env_file_name(spec.name)]
    simple = {'network_mode': spec.network_mode, 'pid': spec.pid_mode,
              'ipc': spec.ipc_mode, 'user': spec.user,
              'hostname': spec.hostname, 'working_dir': spec.working_dir,
              'stop_signal': spec.stop_signal, 'cpuset': spec.cpuset_cpus,
              'cpu_shares': spec.cpu_shares, 'mem_limit': spec.mem_limit,
              'memswap_limit': spec.memswap_limit,
              'mem_swappiness': spec.mem_swappiness,
              'pids_limit': spec.pids_limit}
    svc.update({k: v for k, v in simple.items() if v is not None})
    lists = {'volumes': spec.volumes, 'ports': spec.ports,
             'security_opt': spec.security_opt, 'cap_add': spec.cap_add,
             'cap_drop': spec.cap_drop, 'group_add': spec.group_add}
    svc.update({k: list(v) for k, v in lists.items() if v})
    if spec.volumes_from:
        svc['volumes_from'] = [v if v.partition(':')[0] in names
                               else 'container:' + v
                               for v in spec.volumes_from]
    if spec.privileged:
        svc['privileged'] = True
    if spec.interactive:
        svc['stdin_open'] = True
    if spec.tty:
        svc['tty'] = True
    if spec.extra_hosts:
        svc['extra_hosts'] = ['%s:%s' % pair for pair in spec.extra_hosts]
    if spec.ulimits:
        svc['ulimits'] = {n: {'soft': s, 'hard': h}
                          for n, s, h in spec.ulimits}
    if spec.log_tag:
        svc['logging'] = {'options': {'tag': _esc(spec.log_tag)}}
    if spec.stop_grace_period is not None:
        svc['stop_grace_period'] = _seconds(spec.stop_grace_period)
    labels = {k: _esc(v) for k, v in spec.labels}
    if spec.is_oneshot:
        svc['restart'] = 'no'
        labels[ONESHOT_LABEL] = 'true'
        labels[EXIT_CODES_LABEL] = ','.join(map(str, spec.exit_codes))
    elif spec.restart:
        svc['restart'] = spec.restart
    if labels:
        svc['labels'] = labels
    if spec.healthcheck:
        check = spec.healthcheck
        health = {'test': list(check.test)}
        for key in ('interval', 'timeout', 'start_period'):
            if getattr(check, key) is not None:
                health[key] = _seconds(getattr(check, key))
        if check.retries is not None:
            health['retries'] = check.retries
        svc['healthcheck'] = health
    depends = {}
    for other in specs:
        if other.start_order < spec.start_order and not other.is_exec:
            depends[other.name] = {'condition': _condition(other)}
    if depends:
        svc['depends_on'] = depends
    return svc


def _condition(spec):
    if spec.is_oneshot:
        return 'service_completed_successfully'
    if spec.healthcheck and spec.healthcheck.test[:1] != ('NONE',):
        return 'service_healthy'
    return 'service_started'


def secret_env_file_name(service):
    return '%s/%s.env' % (SECRETS_DIR, service)


def secret_env_files(specs):
    """The 0600 env files holding each spec's secret variables."""
    files = []
    for spec in specs:
        lines = [dotenv_line(n, v, '%s.environment.%s' % (spec.name, n))
                 for n, v in spec.environment
                 if n in spec.secret_env and v is not None]
        if lines:
            files.append(ProjectFile(secret_env_file_name(spec.name),
                                     ''.join(lines)))
    return tuple(files)


def spec_problems(specs, field='config'):
    """The Problems that keep ContainerSpecs from running on compose."""
    try:
        render_specs(specs, field)
    except errors.InvalidDeployment as exc:
        return list(exc.problems)
    return []


def plan_specs(deployment, specs):
    """The Project for ContainerSpecs (the neutral group's compose tool):
    values are rendered literally (no interpolation), secrets go through
    0600 env files; no specs gives a project to bring down."""
    if not specs:
        # Only something to bring down; a deployment whose name cannot
        # name a project never had one.
        try:
            return Project(name=project_name(deployment), compose=None)
        except errors.InvalidDeployment:
            return Project(name=None, compose=None)
    compose = render_specs(specs)
    return dataclasses.replace(
        plan(deployment, compose, None, secret_env_files(specs),
             read_env_files=False),
        secret_values=tuple(v for s in specs for n, v in s.environment
                            if n in s.secret_env and v is not None))
