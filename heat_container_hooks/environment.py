"""One mapping, for every tool, from a deployment's inputs to environment
variables, and the resolution of a container's own environment.

The rules are the table in doc/environment.md (checked against RULES by a
test):

- declared inputs and input_values become variables of the same name;
- deploy_* inputs never do, unless the deployment's ``options`` lists them
  in ``expose_inputs``; credentials among them are then secret;
- each Heat type is rendered as text (see ``render``);
- a name that is not a valid variable name is left out, with a note;
- secret inputs (option ``secret_inputs``, ``secret_input_patterns``) are
  marked so that tools pass them only through 0600 env files and the
  redactor hides their values everywhere.
"""

import dataclasses
import fnmatch
import json

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import envfile
from heat_container_hooks import errors
from heat_container_hooks import spec as spec_mod

# (what, rule) rows of the documented table; a test keeps the doc in step.
RULES = (
    ('declared inputs and input_values', 'become variables of the same name'),
    ('deploy_* inputs', 'never, unless listed in options.expose_inputs'),
    ('deploy_password, deploy_signal_id and other credentials',
     'secret when exposed'),
    ('String', 'as given; a Python repr of a list or mapping from the '
               'dispatcher is rendered as JSON'),
    ('Number', 'decimal text; whole numbers without a fraction (3, not 3.0)'),
    ('Boolean', 'true or false'),
    ('CommaDelimitedList', 'items joined with commas'),
    ('Json', 'compact JSON text'),
    ('null value', 'empty string'),
    ('name not a valid variable name',
     'left out, with a note in deploy_stderr'),
    ('inputs named in secret_inputs or matching secret_input_patterns',
     'secret: only through 0600 env files; redacted in logs and replies'),
)


@dataclasses.dataclass(frozen=True)
class InputEnvironment:
    """Variables made from a deployment's inputs."""

    variables: tuple = ()          # (name, value) in input order
    secret_names: frozenset = frozenset()
    notes: tuple = ()              # why an input was left out

    def as_dict(self):
        return dict(self.variables)

    def public(self):
        return tuple((n, v) for n, v in self.variables
                     if n not in self.secret_names)

    def secrets(self):
        return tuple((n, v) for n, v in self.variables
                     if n in self.secret_names)

    def secret_values(self):
        return [v for n, v in self.variables if n in self.secret_names]


def is_secret_name(name, secret_inputs=(), patterns=()):
    lowered = name.lower()
    return (is_named_secret(name, secret_inputs)
            or any(fnmatch.fnmatchcase(lowered, p.lower())
                   for p in patterns))


def render(kind, value):
    """An input's value as the text a tool passes on."""
    if value is None:
        return ''
    if kind == 'Boolean' or isinstance(value, bool):
        if isinstance(value, str):
            return 'true' if value.strip().lower() in (
                'true', 'yes', 'on', '1', 't', 'y') else 'false'
        return 'true' if value else 'false'
    if kind == 'Number' or isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    if kind == 'CommaDelimitedList':
        decoded = deployment_mod.decode_structured(value)
        if isinstance(decoded, list):
            return ','.join(render('String', v) for v in decoded)
        return str(value)
    if kind == 'Json':
        decoded = deployment_mod.decode_structured(value)
        if isinstance(decoded, str):
            return decoded
        return json.dumps(decoded, separators=(',', ':'))
    if isinstance(value, str):
        decoded = deployment_mod.decode_structured(value)
        if isinstance(decoded, (list, dict)):
            return json.dumps(decoded, separators=(',', ':'))
        return value
    return json.dumps(value, separators=(',', ':'))


def is_named_secret(name, secret_inputs=()):
    """Whether ``name`` is a secret by name (secret_inputs, the deploy_*
    credentials), not only by a pattern: such values are masked whatever
    their length."""
    return name in secret_inputs or name in deployment_mod.CREDENTIAL_INPUTS


def from_inputs(deployment, secret_inputs=(), patterns=(), exclude=(),
                expose=()):
    """The variables a deployment's inputs give every tool. ``expose``:
    the deploy_* inputs to pass on too (options.expose_inputs, already
    validated as a list of names)."""
    expose = frozenset(expose)
    variables, secrets, notes = [], set(), []
    for item in deployment.inputs:
        if item.name in exclude:
            continue
        is_deploy = item.name in deployment_mod.DEPLOY_INPUTS
        if is_deploy and item.name not in expose:
            continue
        if not spec_mod.ENV_NAME_RE.match(item.name):
            notes.append('input %r is not a valid variable name and was not '
                         'passed on (rename it to letters, digits and _)'
                         % item.name)
            continue
        variables.append((item.name, render(item.type, item.value)))
        if is_secret_name(item.name, secret_inputs, patterns):
            secrets.add(item.name)
    return InputEnvironment(tuple(variables), frozenset(secrets),
                            tuple(notes))


def secret_input_values(deployment, secret_inputs=(), patterns=()):
    """Every secret value a deployment carries, exposed or not, as
    (explicit, matched): values of inputs named as secret (secret_inputs,
    deploy_* credentials), which are masked whatever their length, and
    values of inputs that only match secret_input_patterns, which are
    masked from 4 characters on (shorter ones would mask ordinary
    words)."""
    explicit, matched = [], []
    for item in deployment.inputs:
        if item.value is None:
            continue
        if is_named_secret(item.name, secret_inputs):
            explicit.append(render(item.type, item.value))
        elif is_secret_name(item.name, secret_inputs, patterns):
            matched.append(render(item.type, item.value))
    return explicit, matched


def parse_env_file(text, host_env=None):
    """(name, value|None) pairs of an env file in Compose v2's dialect
    (see envfile and doc/environment.md); None: a bare NAME the hook's own
    environment (``host_env``) does not have. A file Compose would refuse
    gives the pairs before the fault (callers that must refuse it use
    ``envfile.parse``)."""
    pairs = []
    try:
        envfile.parse(text, (host_env or {}).get, pairs)
    except envfile.EnvFileError:
        pass
    return pairs


def read_env_files(specs, field='config', host_env=None):
    """{path: text} of every env file the specs name. Raises
    InvalidDeployment for any that cannot be read or that Compose v2
    would refuse (naming the line)."""
    texts, problems = {}, errors.Problems()
    for spec in specs:
        for path in spec.env_files:
            if path in texts:
                continue
            where = '%s.%s.env_file' % (field, spec.name)
            try:
                with open(path, encoding='utf-8') as handle:
                    texts[path] = handle.read()
                envfile.parse(texts[path], (host_env or {}).get)
            except (OSError, UnicodeDecodeError) as exc:
                problems.add(where, 'cannot read %s (%s)'
                             % (path, getattr(exc, 'strerror', None)
                                or exc),
                             'create the file or fix its path')
            except envfile.EnvFileError as exc:
                problems.add(where, '%s: %s' % (path, exc),
                             'fix the file (doc/environment.md has the '
                             'env-file dialect)')
    problems.raise_if_any()
    return texts


def resolve(spec, host_env, env_file_texts, extra=(),
            secret_inputs=(), patterns=()):
    """The spec with its final environment: env files first, then
    ``extra`` (variables from inputs, for the groups that pass them), then
    the spec's own environment; a null takes the hook's own value or is
    left out, as ``docker run -e NAME`` does. Secret names are marked."""
    merged = {}
    for path in spec.env_files:
        for name, value in parse_env_file(env_file_texts.get(path, ''),
                                          host_env):
            merged[name] = value
    for name, value in extra:
        merged[name] = value
    for name, value in spec.environment:
        merged[name] = value
    final = []
    for name, value in merged.items():
        if value is None:
            value = host_env.get(name)
            if value is None:
                continue
        final.append((name, value))
    secret = frozenset(name for name, _ in final
                       if is_secret_name(name, secret_inputs, patterns)
                       or name in spec.secret_env)
    return spec_mod.replace(spec, environment=tuple(final), secret_env=secret)
