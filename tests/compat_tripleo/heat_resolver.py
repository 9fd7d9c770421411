"""A small, lazy evaluator of Heat (HOT) templates: just enough of Heat's
intrinsic functions to compute one output of a tripleo-heat-templates
service template, the way Heat would, without a Heat.

What it does, with Heat's semantics:

- parameters: the template's defaults, then ``parameter_defaults`` (given
  to every template, nested ones too, as Heat applies an environment's
  parameter_defaults), then the properties a parent passes; values are
  coerced by parameter type (boolean, number, json, comma_delimited_list);
  a parameter with no value at all gets a placeholder of its type (so a
  required password does not stop the evaluation);
- resources: a template file (a relative path, or an ``OS::TripleO::...``
  alias mapped by the resource registry) is a nested stack whose outputs
  are its attributes; ``OS::Heat::Value`` (attribute ``value``) and
  ``OS::Heat::None`` (every attribute null) are evaluated; any other type
  raises Unresolvable when an attribute of it is needed;
- functions: get_param (with path; a missing path component gives ``''``
  as in Heat), get_attr, get_resource, list_join, list_concat,
  list_concat_unique, str_replace (and _strict/_vstrict), str_split,
  map_merge, map_replace, repeat, if, equals, not, and, or, contains,
  filter, yaql (the ``yaql`` library, as Heat evaluates it), digest,
  get_file; conditions (which may name other conditions).

Everything is evaluated lazily: only what the requested output needs.
"""

import collections.abc
import functools
import hashlib
import json
import os
import re

import yaml


class Unresolvable(Exception):
    """The value needs something this evaluator does not model; ``reason``
    is a short, stable text used to count such cases."""

    def __init__(self, reason, where=''):
        super().__init__('%s%s' % (reason, (' (%s)' % where) if where else ''))
        self.reason = reason


def load_registry(root, environments):
    """The ``resource_registry`` ``{alias: path}`` of the environment files
    ``environments`` (paths relative to ``root``), later ones overriding
    earlier ones, as ``openstack overcloud deploy -e`` merges them; a
    mapped path is made relative to ``root``."""
    registry = {}
    for name in environments:
        path = os.path.join(root, name)
        data = _load_yaml(path) or {}
        for alias, target in (data.get('resource_registry') or {}).items():
            if not isinstance(target, str):
                continue
            if not target.startswith('OS::'):
                target = os.path.relpath(
                    os.path.normpath(os.path.join(os.path.dirname(path),
                                                  target)), root)
            registry[alias] = target
    return registry


def _load_yaml(path):
    with open(path) as handle:
        # Heat keeps version dates as text.
        return yaml.load(handle, Loader=_HeatLoader)


class _HeatLoader(yaml.SafeLoader):
    pass


_HeatLoader.add_constructor(
    'tag:yaml.org,2002:timestamp',
    lambda loader, node: loader.construct_scalar(node))


class Context:
    """What every template of one evaluation shares: the THT root, the
    registry, parameter_defaults and a cache of parsed files."""

    def __init__(self, root, registry, parameter_defaults=None,
                 placeholder=None):
        self.root = root
        self.placeholder = placeholder or _placeholder
        self.registry = registry
        self.parameter_defaults = dict(parameter_defaults or {})
        self._files = {}

    def load(self, path):
        path = os.path.normpath(path)
        if path not in self._files:
            if not os.path.exists(path):
                raise Unresolvable('template file missing',
                                   os.path.relpath(path, self.root))
            self._files[path] = _load_yaml(path)
        return self._files[path]

    def template(self, path, properties=None):
        """A Template for the file ``path`` with the given properties."""
        return Template(self, path, properties or {})


_MISSING = object()


class Template:
    """One (possibly nested) stack: a template file and its properties."""

    def __init__(self, context, path, properties):
        self.context = context
        self.path = os.path.normpath(path)
        self.data = context.load(self.path) or {}
        self.properties = properties
        self._params = {}
        self._conditions = {}
        self._nested = {}

    # -- parameters ---------------------------------------------------
    def param(self, name):
        if name not in self._params:
            self._params[name] = self._param_value(name)
        return self._params[name]

    def _param_value(self, name):
        schema = (self.data.get('parameters') or {}).get(name)
        if schema is None:
            # Heat's pseudo parameters.
            if name == 'OS::stack_name':
                return 'overcloud'
            if name == 'OS::stack_id':
                return '00000000-0000-0000-0000-000000000000'
            if name == 'OS::project_id':
                return 'admin'
            raise Unresolvable('unknown parameter', name)
        value = self.properties.get(name, _MISSING)
        if value is _MISSING:
            value = self.context.parameter_defaults.get(name, _MISSING)
        if value is _MISSING:
            value = schema.get('default', _MISSING)
        kind = schema.get('type', 'string')
        if value is _MISSING or value is None or (
                value == '' and schema.get('hidden')):
            # Nothing given, or a secret left empty (a deployment
            # generates those).
            value = self.context.placeholder(name, kind)
        return _coerce(value, kind, name)

    # -- conditions ---------------------------------------------------
    def condition(self, name):
        if isinstance(name, bool):
            return name
        if name not in self._conditions:
            conditions = self.data.get('conditions') or {}
            if name not in conditions:
                raise Unresolvable('unknown condition', name)
            self._conditions[name] = bool(
                self.resolve(conditions[name], in_condition=True))
        return self._conditions[name]

    # -- resources ----------------------------------------------------
    def attribute(self, resource, attr, path):
        resources = self.data.get('resources') or {}
        if resource not in resources:
            raise Unresolvable('unknown resource', resource)
        definition = resources[resource]
        kind = self._resolve_type(definition.get('type'))
        if kind.endswith('.yaml'):
            if resource not in self._nested:
                props = self.resolve(definition.get('properties') or {})
                self._nested[resource] = self.context.template(kind, props)
            value = self._nested[resource].output(attr)
        elif kind == 'OS::Heat::None':
            return None
        elif kind == 'OS::Heat::Value' and attr == 'value':
            value = self.resolve(
                (definition.get('properties') or {}).get('value'))
        else:
            raise Unresolvable('get_attr on a %s' % kind, resource)
        return _walk(value, path)

    def _resolve_type(self, kind, seen=()):
        """A resource type through the registry: a template file's path,
        or a native type name."""
        kind = str(kind)
        if kind in self.context.registry and kind not in seen:
            mapped = self.context.registry[kind]
            if mapped.startswith('OS::'):
                return self._resolve_type(mapped, seen + (kind,))
            return os.path.join(self.context.root, mapped)
        if kind.endswith('.yaml'):
            return os.path.join(os.path.dirname(self.path), kind)
        return kind

    def output(self, name):
        outputs = self.data.get('outputs') or {}
        if name not in outputs:
            raise Unresolvable('unknown output', name)
        return self.resolve(outputs[name].get('value'))

    # -- functions ----------------------------------------------------
    def resolve(self, node, in_condition=False):
        """``node`` with every intrinsic function evaluated."""
        if isinstance(node, dict):
            if len(node) == 1:
                (key, args), = node.items()
                function = _FUNCTIONS.get(key)
                if function is not None:
                    return function(self, args, in_condition)
            return {self.resolve(k): self.resolve(v, in_condition)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, in_condition) for v in node]
        return node


def _placeholder(name, kind):
    return {'string': 'hch-%s' % name, 'number': 0, 'boolean': False,
            'json': {}, 'comma_delimited_list': []}.get(kind, '')


def _coerce(value, kind, name):
    if kind == 'boolean':
        if isinstance(value, str):
            lowered = value.lower()
            if lowered in ('true', 't', 'on', 'y', 'yes', '1'):
                return True
            if lowered in ('false', 'f', 'off', 'n', 'no', '0'):
                return False
            raise Unresolvable('bad boolean parameter', name)
        return bool(value)
    if kind == 'number' and isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return float(value)
    if kind == 'json' and isinstance(value, str):
        return json.loads(value) if value.strip() else {}
    if kind == 'comma_delimited_list' and isinstance(value, str):
        return [v.strip() for v in value.split(',')] if value else []
    return value


def _walk(value, path):
    """Heat's attribute/parameter path: mappings by key, lists by index;
    a missing component gives ''."""
    try:
        return functools.reduce(_component, path, value)
    except (KeyError, IndexError, TypeError, ValueError):
        return ''


def _component(collection, key):
    if isinstance(collection, collections.abc.Mapping):
        return collection[key]
    if isinstance(collection, list):
        return collection[int(key)]
    raise TypeError(key)


def _get_param(tpl, args, _cond):
    args = tpl.resolve(args)
    if isinstance(args, list):
        return _walk(tpl.param(args[0]), args[1:])
    return tpl.param(args)


def _get_attr(tpl, args, _cond):
    args = tpl.resolve(args)
    if not isinstance(args, list) or len(args) < 2:
        raise Unresolvable('get_attr without an attribute')
    return tpl.attribute(args[0], args[1], args[2:])


def _get_resource(tpl, args, _cond):
    return tpl.resolve(args)


def _text(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def _list_join(tpl, args, _cond):
    args = tpl.resolve(args)
    delimiter, lists = args[0], args[1:]
    items = []
    for part in lists:
        if isinstance(part, str):
            part = json.loads(part) if part.strip() else []
        items.extend(part or [])
    return delimiter.join(_text(i) for i in items)


def _list_concat(tpl, args, _cond, unique=False):
    result = []
    for part in tpl.resolve(args):
        if part is None:
            continue
        if not isinstance(part, list):
            raise Unresolvable('list_concat of a non-list')
        for item in part:
            if unique and item in result:
                continue
            result.append(item)
    return result


def _str_replace(tpl, args, _cond):
    args = tpl.resolve(args)
    template, params = args['template'], args['params'] or {}
    # Heat replaces longer keys first, in one pass over the text.
    keys = sorted(params, key=len, reverse=True)
    if not keys:
        return template
    pattern = re.compile('|'.join(re.escape(str(k)) for k in keys))
    return pattern.sub(lambda m: _text(params[m.group(0)]),
                       _text(template))


def _str_split(tpl, args, _cond):
    args = tpl.resolve(args)
    parts = args[1].split(args[0])
    return parts[args[2]] if len(args) > 2 else parts


def _map_merge(tpl, args, _cond):
    result = {}
    for part in tpl.resolve(args):
        result.update(part or {})
    return result


def _map_replace(tpl, args, _cond):
    args = tpl.resolve(args)
    data, replace = args[0], args[1] or {}
    keys = replace.get('keys') or {}
    values = replace.get('values') or {}
    return {keys.get(k, k): values.get(v, v) if isinstance(v, str) else v
            for k, v in data.items()}


def _repeat(tpl, args, _cond):
    args = tpl.resolve(args)
    template, each = args['template'], args['for_each']
    names = list(each)
    combos = [{}]
    for name in names:
        combos = [dict(c, **{name: v}) for c in combos for v in each[name]]

    def fill(node, combo):
        if isinstance(node, str):
            for name, value in combo.items():
                node = node.replace(name, _text(value))
            return node
        if isinstance(node, list):
            return [fill(v, combo) for v in node]
        if isinstance(node, dict):
            return {fill(k, combo): fill(v, combo) for k, v in node.items()}
        return node
    return [fill(template, c) for c in combos]


def _if(tpl, args, cond):
    if not isinstance(args, list) or len(args) not in (2, 3):
        raise Unresolvable('bad if')
    test = args[0]
    if isinstance(test, str):
        chosen = tpl.condition(test)
    else:
        chosen = bool(tpl.resolve(test, in_condition=True))
    if chosen:
        return tpl.resolve(args[1], cond)
    return tpl.resolve(args[2], cond) if len(args) == 3 else None


def _equals(tpl, args, _cond):
    left, right = tpl.resolve(args)
    return left == right


def _condition_value(tpl, arg):
    if isinstance(arg, str):
        return tpl.condition(arg)
    return bool(tpl.resolve(arg, in_condition=True))


def _not(tpl, args, _cond):
    return not _condition_value(tpl, args)


def _and(tpl, args, _cond):
    return all(_condition_value(tpl, a) for a in args)


def _or(tpl, args, _cond):
    return any(_condition_value(tpl, a) for a in args)


def _contains(tpl, args, _cond):
    item, sequence = tpl.resolve(args)
    return item in (sequence or [])


def _filter(tpl, args, _cond):
    remove, sequence = tpl.resolve(args)
    return [i for i in (sequence or []) if i not in (remove or [])]


def _digest(tpl, args, _cond):
    algorithm, value = tpl.resolve(args)
    return hashlib.new(algorithm, _text(value).encode('utf-8')).hexdigest()


def _get_file(tpl, args, _cond):
    path = os.path.join(os.path.dirname(tpl.path), tpl.resolve(args))
    with open(path) as handle:
        return handle.read()


_YAQL = {}


def _yaql(tpl, args, _cond):
    import yaql
    args = tpl.resolve(args)
    if 'engine' not in _YAQL:
        _YAQL['engine'] = yaql.factory.YaqlFactory().create()
        _YAQL['context'] = yaql.create_context()
    try:
        expression = _YAQL['engine'](args['expression'])
        return expression.evaluate({'data': args.get('data')},
                                   _YAQL['context'].create_child_context())
    except Exception as exc:
        raise Unresolvable('yaql: %s' % type(exc).__name__,
                           args['expression'][:60])


_FUNCTIONS = {
    'get_param': _get_param,
    'get_attr': _get_attr,
    'get_resource': _get_resource,
    'list_join': _list_join,
    'list_concat': _list_concat,
    'list_concat_unique': functools.partial(_list_concat, unique=True),
    'str_replace': _str_replace,
    'str_replace_strict': _str_replace,
    'str_replace_vstrict': _str_replace,
    'str_split': _str_split,
    'map_merge': _map_merge,
    'map_replace': _map_replace,
    'repeat': _repeat,
    'if': _if,
    'equals': _equals,
    'not': _not,
    'and': _and,
    'or': _or,
    'contains': _contains,
    'filter': _filter,
    'digest': _digest,
    'get_file': _get_file,
    'yaql': _yaql,
}
