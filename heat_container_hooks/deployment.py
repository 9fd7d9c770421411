"""The heat-config item a hook receives on stdin, parsed into a typed model.

The protocol (what 55-heat-config and our agent pass): one JSON object with
``id``, ``name``, ``group``, ``options`` (may be null), ``config`` (a string
for SoftwareConfig, a dict or list for StructuredConfig), ``outputs`` (may be
null) and ``inputs``. Heat appends the ``deploy_*`` inputs. The dispatcher
turns every String input that is not a str into ``str(value)``, so
structured values may arrive as a Python repr; ``decode_structured`` reads
them back without evaluating anything.
"""

import ast
import dataclasses
import enum
import functools
import json
from typing import Any

from heat_container_hooks import errors

INPUT_TYPES = ('String', 'Number', 'CommaDelimitedList', 'Json', 'Boolean')

# Inputs Heat appends for its own signalling; never container environment.
DEPLOY_INPUTS = (
    'deploy_server_id', 'deploy_action', 'deploy_stack_id',
    'deploy_resource_name', 'deploy_signal_transport', 'deploy_signal_id',
    'deploy_signal_verb', 'deploy_auth_url', 'deploy_username',
    'deploy_user_id', 'deploy_password', 'deploy_project_id',
    'deploy_region_name', 'deploy_queue_id')

# Of those, the ones that are credentials (a signal URL carries a signature).
CREDENTIAL_INPUTS = ('deploy_password', 'deploy_signal_id', 'deploy_user_id',
                     'deploy_username', 'deploy_queue_id', 'deploy_auth_url')


class Action(str, enum.Enum):
    """The ``deploy_action`` input: the five actions Heat's
    SoftwareDeployment sends (its ``actions`` property allows no other).
    Absent (an item run by hand, or an old agent) means CREATE, as
    heat-agents' hooks treat every action but DELETE as a deploy. Anything
    else, lower-case spellings included (Heat sends capitals, and
    heat-agents would deploy on ``delete``), is refused by ``parse_action``
    before anything is touched."""

    CREATE = 'CREATE'
    UPDATE = 'UPDATE'
    DELETE = 'DELETE'
    SUSPEND = 'SUSPEND'
    RESUME = 'RESUME'

    def __str__(self):
        return self.value


ACTIONS = tuple(a.value for a in Action)


@dataclasses.dataclass(frozen=True)
class Input:
    name: str
    type: str = 'String'
    value: Any = None
    description: str = None


@dataclasses.dataclass(frozen=True)
class Output:
    name: str
    type: str = 'String'
    error_output: bool = False


@dataclasses.dataclass(frozen=True)
class Owner:
    """Who a container belongs to: one Heat deployment, whatever its config
    id (Heat makes a new config id for every action of the same resource).
    """

    managed_by: str
    key: str
    stack_id: str = ''
    resource_name: str = ''


@dataclasses.dataclass(frozen=True)
class Deployment:
    id: str
    name: str
    group: str
    config: Any
    options: dict
    inputs: tuple
    outputs: tuple
    creation_time: str = None
    updated_time: str = None

    def input(self, name):
        for item in self.inputs:
            if item.name == name:
                return item
        return None

    def input_value(self, name, default=None):
        item = self.input(name)
        if item is None or item.value is None:
            return default
        return item.value

    @functools.cached_property
    def action(self):
        """The deploy_action as an Action, parsed once (see
        ``parse_action``). Raises InvalidDeployment naming
        ``inputs.deploy_action`` when it is not one."""
        return parse_action(self.input_value('deploy_action'))

    @property
    def stack_id(self):
        return str(self.input_value('deploy_stack_id', ''))

    @property
    def resource_name(self):
        return str(self.input_value('deploy_resource_name', ''))

    @property
    def owner_key(self):
        """Stable across UPDATEs: the stack and resource, else the name."""
        if self.stack_id and self.resource_name:
            return '%s/%s' % (self.stack_id, self.resource_name)
        if self.name:
            return 'name:%s' % self.name
        return 'id:%s' % self.id

    def owner(self, managed_by):
        return Owner(managed_by=managed_by, key=self.owner_key,
                     stack_id=self.stack_id,
                     resource_name=self.resource_name)


def parse(text):
    """Parse the hook's stdin into a Deployment, or raise InvalidDeployment
    naming every field at fault."""
    if isinstance(text, bytes):
        try:
            text = text.decode('utf-8')
        except UnicodeDecodeError as exc:
            raise errors.InvalidDeployment([errors.Problem(
                'stdin', 'is not UTF-8 (%s)' % exc,
                'send the heat-config item as UTF-8 JSON')])
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise errors.InvalidDeployment([errors.Problem(
            'stdin', 'is not JSON (%s)' % _short(exc),
            'send one heat-config item as a JSON object')])
    return from_dict(data)


def from_dict(data):
    problems = errors.Problems()
    if not isinstance(data, dict):
        raise errors.InvalidDeployment([errors.Problem(
            'stdin', 'is a JSON %s, not an object' % _json_type(data),
            'send one heat-config item as a JSON object')])

    def text_field(key, required=False):
        value = data.get(key)
        if value is None:
            if required:
                problems.add(key, 'is missing', 'Heat always sends it; '
                             'pass the item as the agent gives it')
            return ''
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if not isinstance(value, str):
            problems.add(key, 'must be a string, not %s' % _json_type(value))
            return ''
        return value

    ident = text_field('id')
    name = text_field('name')
    group = text_field('group')
    creation_time = text_field('creation_time') or None
    updated_time = text_field('updated_time') or None

    options = data.get('options')
    if options is None:
        options = {}
    elif not isinstance(options, dict):
        problems.add('options', 'must be an object or null, not %s'
                     % _json_type(options))
        options = {}

    inputs = _parse_inputs(data.get('inputs'), problems)
    outputs = _parse_outputs(data.get('outputs'), problems)
    problems.raise_if_any()
    return Deployment(id=ident, name=name, group=group,
                      config=data.get('config'), options=options,
                      inputs=inputs, outputs=outputs,
                      creation_time=creation_time, updated_time=updated_time)


def _parse_inputs(raw, problems):
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add('inputs', 'must be a list, not %s' % _json_type(raw))
        return ()
    inputs = []
    seen = set()
    for index, item in enumerate(raw):
        field = 'inputs[%d]' % index
        if not isinstance(item, dict):
            problems.add(field, 'must be an object, not %s'
                         % _json_type(item))
            continue
        name = item.get('name')
        if not isinstance(name, str) or not name:
            problems.add(field + '.name', 'must be a non-empty string')
            continue
        kind = item.get('type') or 'String'
        if kind not in INPUT_TYPES:
            problems.add('inputs.%s.type' % name,
                         'is %r, not a Heat input type' % (kind,),
                         'use one of %s' % ', '.join(INPUT_TYPES))
            continue
        if name in seen:
            # Heat never repeats a name; the last one wins, as in Heat.
            inputs = [i for i in inputs if i.name != name]
        seen.add(name)
        description = item.get('description')
        inputs.append(Input(
            name=name, type=kind, value=item.get('value'),
            description=description if isinstance(description, str)
            else None))
    return tuple(inputs)


def parse_action(value):
    """An Action from the deploy_action input's value (None: CREATE).
    Raises InvalidDeployment naming ``inputs.deploy_action`` and the five
    actions for any other value: an unknown word, another spelling, a
    number, a list or a boolean."""
    if value is None:
        return Action.CREATE
    if isinstance(value, str):
        try:
            return Action(value)
        except ValueError:
            found = 'is %r' % _clip_text(value)
    else:
        found = 'is %s, not a string' % _a(_json_type(value))
    raise errors.InvalidDeployment([errors.Problem(
        'inputs.deploy_action', found + ', not a Heat deployment action',
        'use one of %s (in capitals, as Heat sends it), or leave it out '
        'for CREATE' % ', '.join(ACTIONS))])


def _clip_text(text, limit=40):
    return text if len(text) <= limit else text[:limit] + '...'


def check_deploy_inputs(deployment):
    """Raise InvalidDeployment naming every deploy_* input whose value is
    not text (Heat sends strings; the hooks read them as text: the owner,
    the action; ``Deployment.action`` checks deploy_action itself). Not
    part of ``from_dict``: cleanup reads the whole list
    and must not take a current deployment for gone because of one."""
    problems = errors.Problems()
    for item in deployment.inputs:
        value = item.value
        if item.name in DEPLOY_INPUTS and item.name != 'deploy_action' \
                and value is not None and (
                isinstance(value, bool)
                or not isinstance(value, (str, int, float))):
            problems.add('inputs.%s' % item.name, 'is %s, not a string'
                         % _a(_json_type(value)), 'Heat sends it as a '
                         'string; pass the item as the agent gives it')
    problems.raise_if_any()


def _parse_outputs(raw, problems):
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add('outputs', 'must be a list or null, not %s'
                     % _json_type(raw))
        return ()
    outputs = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(
                item.get('name'), str):
            problems.add('outputs[%d]' % index,
                         'must be an object with a string name')
            continue
        outputs.append(Output(name=item['name'],
                              type=item.get('type') or 'String',
                              error_output=bool(item.get('error_output'))))
    return tuple(outputs)


def decode_structured(value):
    """Read back a list or dict that may arrive as itself, as JSON text, or
    as the Python repr 55-heat-config makes of it. Never evaluates code.

    Returns the value unchanged when it is not such a string.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text or text[0] not in '[{':
        return value
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def load_config_text(value, field='config'):
    """A config that arrives as a string (SoftwareConfig, get_file): YAML,
    of which JSON is a subset. Returns the parsed value."""
    if not isinstance(value, str):
        return value
    import yaml
    try:
        return yaml.safe_load(value)
    except (yaml.YAMLError, RecursionError) as exc:
        raise errors.InvalidDeployment([errors.Problem(
            field, 'is a string that is not valid YAML or JSON (%s)'
            % _short(exc), 'give the config as a mapping or valid YAML')])


def _a(noun):
    return ('an %s' if noun[:1] in 'aeiou' else 'a %s') % noun


def _json_type(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean'
    if isinstance(value, (int, float)):
        return 'number'
    if isinstance(value, str):
        return 'string'
    if isinstance(value, list):
        return 'list'
    if isinstance(value, dict):
        return 'object'
    return type(value).__name__


def _short(exc, limit=200):
    text = ' '.join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + '...'


json_type = _json_type
short = _short
