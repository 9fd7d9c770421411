"""``heat-container-hooks validate-templates [DIR]``: checks the project's
Heat templates and environments as ``openstack stack create`` reads them
(python-heatclient's template_utils), with the hooks' own validation of
every container config. The rules and the role_data schema are in
doc/templates.md; every error names the file and the rule.
"""

import copy
import glob
import hashlib
import json
import os
import re

from heat_container_hooks import errors

RULES = {
    'parse': 'every template parses and has a dated heat_template_version',
    'functions': 'the intrinsic functions of OS::Heat::Value resources and '
                 'of role_data evaluate as Heat evaluates them',
    'registry': 'every registry entry resolves to a file',
    'common-params': 'every service template has the six common parameters',
    'twins': 'templates mapped to the same type have identical parameters',
    'same-declaration': 'a parameter declared in several templates is '
                        'declared identically',
    'role-data': 'role_data matches the documented schema',
    'container-names': 'no two services define the same container name',
    'container-spec': 'every container config passes the hooks\' own '
                      'validation (formats.container: the docker-cmd '
                      'format plus ports and depends_on)',
}

COMMON_PARAMS = {'EndpointMap': 'json', 'ServiceData': 'json',
                 'ServiceNetMap': 'json', 'DefaultPasswords': 'json',
                 'RoleName': 'string', 'RoleParameters': 'json'}
SERVICE_PREFIX = 'OS::TripleO::Services::'
DATED_VERSION = re.compile(r'^\d{4}-\d{2}-\d{2}$')
STEPS = tuple('step_%d' % n for n in range(1, 6))
# role_data keys: name -> (required for every service, required for
# container twins, JSON type)
ROLE_DATA = {
    'service_name': (True, True, str),
    'config_settings': (True, True, dict),
    'step_config': (True, True, str),
    'docker_config': (False, True, dict),
    'kolla_config': (False, True, dict),
    'container_config_data': (False, True, dict),
    'host_prep_tasks': (False, False, list),
    'upgrade_tasks': (False, False, list),
}
KOLLA_KEYS = {'command', 'config_files', 'permissions'}
KOLLA_FILE_KEYS = {'source', 'dest', 'owner', 'perm', 'merge',
                   'preserve_properties', 'optional'}
KOLLA_PERM_KEYS = {'path', 'owner', 'perm', 'recurse'}

# What get_param gives when a template is checked on its own: the values
# overcloud.yaml passes, else the parameter's default, else a placeholder
# of its type (PLACEHOLDERS).
SAMPLE_PARAMS = {
    'EndpointMap': {
        name: {'host': '127.0.0.1', 'port': port, 'protocol': proto,
               'uri': 'http://127.0.0.1:%d' % port}
        for name, port, proto in (
            ('MysqlInternal', 3306, 'mysql+pymysql'),
            ('RabbitMQInternal', 5672, 'rabbit'),
            ('MemcachedInternal', 11211, 'memcached'),
            ('KeystonePublic', 5000, 'http'),
            ('KeystoneInternal', 5000, 'http'),
            ('PlacementPublic', 8778, 'http'))},
    'ServiceNetMap': {'BindAddress': '127.0.0.1'},
    'RoleName': 'Controller',
}
PLACEHOLDERS = {'string': 'placeholder', 'number': 1, 'json': {},
                'comma_delimited_list': [], 'boolean': False}


class Error(object):
    def __init__(self, path, rule, message):
        self.path, self.rule, self.message = path, rule, message

    def __str__(self):
        return '%s: [%s] %s' % (self.path, self.rule, self.message)

    __repr__ = __str__


def _template_utils():
    from heatclient.common import template_utils
    return template_utils


def load_template(path):
    """(files, template) as template_utils reads them for stack create."""
    return _template_utils().get_template_contents(
        template_file=os.path.abspath(path))


def resolve_registry(env_paths):
    """{type: absolute template path} of the merged registry of the given
    environment files, as ``-e a -e b`` merges them."""
    _, env = _template_utils().process_multiple_environments_and_files(
        env_paths=[os.path.abspath(p) for p in env_paths])
    registry = env.get('resource_registry') or {}
    return {name: _url_path(target) for name, target in registry.items()
            if isinstance(target, str)}


def _url_path(url):
    return url[len('file://'):] if url.startswith('file://') else url


class EvaluationError(Exception):
    """An intrinsic function Heat would refuse."""


class Evaluator(object):
    """Heat's intrinsic functions, enough to read role_data offline:
    get_param (SAMPLE_PARAMS, defaults, placeholders), get_attr of an
    OS::Heat::Value (its value), get_file (the file's content), str_replace,
    list_join (maps and lists as JSON, as Heat does), map_merge,
    list_concat, digest (computed), if (conditions evaluated). get_resource,
    other get_attr and yaql give a placeholder string."""

    def __init__(self, template, files, overrides=None):
        self.template = template
        self.files = files
        self.params = {}
        for name, decl in (template.get('parameters') or {}).items():
            decl = decl or {}
            if overrides and name in overrides:
                value = overrides[name]
            elif name in SAMPLE_PARAMS:
                value = SAMPLE_PARAMS[name]
            elif 'default' in decl:
                value = decl['default']
            else:
                value = PLACEHOLDERS.get(decl.get('type'), 'placeholder')
            self.params[name] = copy.deepcopy(value)
        self.conditions = template.get('conditions') or {}

    def __call__(self, value):
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, args), = value.items()
            method = getattr(self, 'fn_' + key, None)
            if method is not None:
                return method(args)
        return {k: self(v) for k, v in value.items()}

    def fn_get_param(self, args):
        args = self(args)
        path = args if isinstance(args, list) else [args]
        if path[0] not in self.params:
            return '<%s>' % path[0]
        value = self.params[path[0]]
        for key in path[1:]:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return ''
        return value

    def fn_get_attr(self, args):
        args = self(args)
        resource = (self.template.get('resources') or {}).get(args[0]) or {}
        if resource.get('type') == 'OS::Heat::Value' and args[1] == 'value':
            value = self((resource.get('properties') or {}).get('value'))
            for key in args[2:]:
                try:
                    value = value[key]
                except (KeyError, IndexError, TypeError):
                    return None
            return value
        return '<get_attr %s>' % ' '.join(str(a) for a in args)

    def fn_get_resource(self, args):
        return '<%s>' % args

    def fn_get_file(self, args):
        args = self(args)
        content = self.files.get(args, '<file %s>' % args)
        if isinstance(content, bytes):
            content = content.decode('utf-8')
        return content

    def fn_yaql(self, args):
        return '<yaql>'

    @staticmethod
    def _text(value):
        if value is None:
            return ''
        if isinstance(value, (dict, list)):
            return json.dumps(value, sort_keys=True)
        return str(value)

    def fn_str_replace(self, args):
        args = self(args)
        text = self._text(args.get('template'))
        params = args.get('params') or {}
        for key in sorted(params, key=len, reverse=True):
            text = text.replace(key, self._text(params[key]))
        return text

    fn_str_replace_strict = fn_str_replace

    def fn_list_join(self, args):
        args = self(args)
        items = []
        for part in args[1:]:
            items.extend(part or [])
        for item in items:
            # Heat joins strings, and maps and lists as JSON, nothing else.
            if item is not None and not isinstance(item, (str, dict, list)):
                raise EvaluationError('list_join: items to join must be '
                                      'strings, maps or lists, not %r'
                                      % (item,))
        return args[0].join(self._text(i) for i in items)

    def fn_map_merge(self, args):
        merged = {}
        for item in self(args) or []:
            merged.update(item or {})
        return merged

    def fn_list_concat(self, args):
        out = []
        for item in self(args):
            out.extend(item or [])
        return out

    def fn_digest(self, args):
        args = self(args)
        return hashlib.new(args[0], self._text(args[1]).encode()).hexdigest()

    def fn_if(self, args):
        return self(args[1] if self.condition(args[0]) else args[2])

    def condition(self, cond):
        if isinstance(cond, bool):
            return cond
        if isinstance(cond, str):
            return self.condition(self.conditions.get(cond, True))
        if isinstance(cond, dict) and len(cond) == 1:
            (key, args), = cond.items()
            if key == 'equals':
                left, right = self(args)
                return left == right
            if key == 'not':
                return not self.condition(args)
            if key == 'and':
                return all(self.condition(a) for a in args)
            if key == 'or':
                return any(self.condition(a) for a in args)
        return True


def _walk(root, sub):
    return sorted(glob.glob(os.path.join(root, sub, '**', '*.yaml'),
                            recursive=True))


class Checker(object):
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.errors = []
        self.templates = {}     # abs path -> (files, template)

    def rel(self, path):
        return os.path.relpath(path, self.root)

    def add(self, path, rule, message):
        self.errors.append(Error(self.rel(path), rule, message))

    def run(self):
        for path in _walk(self.root, 'templates'):
            self.parse(path)
        registries = self.check_environments()
        services = self.service_templates(registries)
        declared = {}
        for path, (files, template) in sorted(self.templates.items()):
            for name, decl in (template.get('parameters') or {}).items():
                declared.setdefault(name, []).append((path, decl))
        self.check_declarations(declared)
        for path in sorted(services):
            self.check_service(path)
        self.check_twins(registries)
        self.check_container_names(registries)
        return self.errors

    def parse(self, path):
        try:
            files, template = load_template(path)
        except Exception as exc:
            self.add(path, 'parse', 'does not parse: %s' % exc)
            return
        version = template.get('heat_template_version')
        if not isinstance(version, str) or not DATED_VERSION.match(version):
            self.add(path, 'parse', 'heat_template_version is %r, not a '
                     'date such as 2018-08-31' % (version,))
        self.templates[path] = (files, template)
        evaluator = Evaluator(template, files)
        for name, resource in sorted(
                (template.get('resources') or {}).items()):
            if (resource or {}).get('type') != 'OS::Heat::Value':
                continue
            try:
                evaluator(resource.get('properties'))
            except EvaluationError as exc:
                self.add(path, 'functions', 'resource %s: %s' % (name, exc))

    def check_environments(self):
        """{env path: {type: template path}} of every environment file."""
        registries = {}
        import yaml
        for path in _walk(self.root, 'environments'):
            try:
                with open(path) as handle:
                    env = yaml.safe_load(handle) or {}
            except (OSError, yaml.YAMLError) as exc:
                self.add(path, 'parse', 'does not parse: %s' % exc)
                continue
            registry = {}
            for name, target in (env.get('resource_registry') or {}).items():
                if not isinstance(target, str):
                    continue
                full = os.path.normpath(os.path.join(
                    os.path.dirname(path), target))
                if not os.path.isfile(full):
                    self.add(path, 'registry', '%s maps to %s, which is not '
                             'a file' % (name, target))
                    continue
                registry[name] = full
            registries[path] = registry
        if not any(self.errors):
            for path in registries:
                try:
                    resolve_registry([path])
                except Exception as exc:
                    self.add(path, 'registry', 'python-heatclient cannot '
                             'process it: %s' % exc)
        return registries

    def service_templates(self, registries):
        found = set()
        for registry in registries.values():
            for name, target in registry.items():
                if name.startswith(SERVICE_PREFIX):
                    found.add(target)
        return found

    def check_declarations(self, declared):
        for name, places in sorted(declared.items()):
            first_path, first = places[0]
            for path, decl in places[1:]:
                if decl != first:
                    self.add(path, 'same-declaration', 'parameter %s is '
                             'declared differently from %s (%s vs %s)'
                             % (name, self.rel(first_path),
                                json.dumps(decl, sort_keys=True),
                                json.dumps(first, sort_keys=True)))

    def check_twins(self, registries):
        by_type = {}
        for registry in registries.values():
            for name, target in registry.items():
                by_type.setdefault(name, set()).add(target)
        for name, targets in sorted(by_type.items()):
            targets = sorted(t for t in targets if t in self.templates)
            if len(targets) < 2:
                continue
            first = self.templates[targets[0]][1].get('parameters') or {}
            for other in targets[1:]:
                params = self.templates[other][1].get('parameters') or {}
                if params != first:
                    diff = sorted(set(params) ^ set(first)) or sorted(
                        n for n in params if params[n] != first.get(n))
                    self.add(other, 'twins', 'parameters differ from its '
                             'twin %s for %s (%s)' % (
                                 self.rel(targets[0]), name,
                                 ', '.join(diff)))

    def role_data(self, path):
        files, template = self.templates[path]
        output = (template.get('outputs') or {}).get('role_data')
        if not isinstance(output, dict) or 'value' not in output:
            self.add(path, 'role-data', 'has no role_data output')
            return None
        try:
            return Evaluator(template, files)(output['value'])
        except EvaluationError as exc:
            self.add(path, 'functions', 'role_data: %s' % exc)
            return None

    def check_service(self, path):
        if path not in self.templates:
            return
        template = self.templates[path][1]
        params = template.get('parameters') or {}
        for name, kind in COMMON_PARAMS.items():
            decl = params.get(name)
            if not isinstance(decl, dict) or decl.get('type') != kind:
                self.add(path, 'common-params', 'lacks the common parameter '
                         '%s (type %s)' % (name, kind))
        data = self.role_data(path)
        if data is None:
            return
        if not isinstance(data, dict):
            self.add(path, 'role-data', 'role_data is not a mapping')
            return
        container = 'docker_config' in data
        for key, (required, required_container, kind) in ROLE_DATA.items():
            if key not in data:
                if required or (container and required_container):
                    self.add(path, 'role-data', 'role_data lacks %s' % key)
                continue
            if not isinstance(data[key], kind):
                self.add(path, 'role-data', 'role_data.%s is not a %s'
                         % (key, kind.__name__))
        for key in sorted(set(data) - set(ROLE_DATA)):
            self.add(path, 'role-data', 'role_data has unknown key %s (see '
                     'doc/templates.md for the schema)' % key)
        if container:
            self.check_docker_config(path, data.get('docker_config'))
            self.check_kolla(path, data.get('kolla_config'),
                             data.get('container_config_data'))

    def check_docker_config(self, path, config):
        if not isinstance(config, dict):
            return
        for step in sorted(set(config) - set(STEPS)):
            self.add(path, 'role-data', 'docker_config has %s, not one of '
                     'step_1..step_5' % step)
        for step in STEPS:
            value = config.get(step)
            if value is None:
                continue
            if not isinstance(value, dict):
                self.add(path, 'role-data', 'docker_config.%s is not a '
                         'mapping of container names' % step)
                continue
            self.check_step(path, step, value)

    def check_step(self, path, step, containers):
        """The hooks' own reader of the `container` group's format (the
        docker-cmd format plus ports and depends_on)."""
        from heat_container_hooks.formats import container as container_fmt
        try:
            container_fmt.read(containers, field='docker_config.%s' % step)
        except errors.InvalidDeployment as exc:
            for problem in exc.problems:
                self.add(path, 'container-spec', str(problem))

    def check_kolla(self, path, kolla, config_data):
        if not isinstance(kolla, dict):
            return
        sources = set()
        for volume in (config_data or {}).values():
            sources.update((volume or {}).keys())
        for name, config in kolla.items():
            where = 'kolla_config[%s]' % name
            if not isinstance(config, dict):
                self.add(path, 'role-data', '%s is not a mapping' % where)
                continue
            for key in sorted(set(config) - KOLLA_KEYS):
                self.add(path, 'role-data', '%s has unknown key %s'
                         % (where, key))
            if not isinstance(config.get('command'), str) or \
                    not config['command'].strip():
                self.add(path, 'role-data', '%s.command is required (the '
                         'service\'s command line)' % where)
            for index, entry in enumerate(config.get('config_files') or []):
                if self.check_entry(path, '%s.config_files[%d]'
                                    % (where, index), entry,
                                    ('source', 'dest'), KOLLA_FILE_KEYS):
                    self.check_source(path, where, index, entry, sources)
            for index, entry in enumerate(config.get('permissions') or []):
                self.check_entry(path, '%s.permissions[%d]' % (where, index),
                                 entry, ('path', 'owner'), KOLLA_PERM_KEYS)

    def check_entry(self, path, where, entry, required, allowed):
        """Whether a list entry of a Kolla config is a mapping with the
        required keys set and no others than ``allowed``; a problem when
        not."""
        if isinstance(entry, dict) and all(entry.get(k) for k in required) \
                and not set(entry) - allowed:
            return True
        self.add(path, 'role-data', '%s needs %s and only the keys %s'
                 % (where, ' and '.join(required), ', '.join(sorted(allowed))))
        return False

    def check_source(self, path, where, index, entry, sources):
        prefix = '/var/lib/kolla/config_files/src/'
        source = entry['source']
        if not source.startswith(prefix) or entry.get('optional'):
            return
        pattern = source[len(prefix):]
        import fnmatch
        if not any(fnmatch.fnmatchcase(s, pattern) for s in sources):
            self.add(path, 'role-data', '%s.config_files[%d].source %s '
                     'matches no file of container_config_data'
                     % (where, index, source))

    def check_container_names(self, registries):
        for env_path, registry in sorted(registries.items()):
            owners = {}
            for name, target in sorted(registry.items()):
                if not name.startswith(SERVICE_PREFIX) or \
                        target not in self.templates:
                    continue
                data = self.role_data_quiet(target)
                config = data.get('docker_config') if isinstance(
                    data, dict) else None
                for step, containers in sorted((config or {}).items()):
                    for container in sorted(containers or {}):
                        if container in owners:
                            other, other_step = owners[container]
                            self.add(target, 'container-names', 'container '
                                     '%s in %s is also defined by %s in %s'
                                     % (container, step, self.rel(other),
                                        other_step))
                        else:
                            owners[container] = (target, step)

    def role_data_quiet(self, path):
        files, template = self.templates[path]
        output = (template.get('outputs') or {}).get('role_data') or {}
        try:
            return Evaluator(template, files)(output.get('value'))
        except Exception:
            return None


def check(root):
    """Every Error found in the templates/ and environments/ of root."""
    return Checker(root).run()


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'validate-templates', help='check templates/ and environments/ '
        '(see doc/templates.md for the rules)')
    parser.add_argument('dir', nargs='?', default='.',
                        help='the directory holding templates/ and '
                             'environments/ (default: .)')
    return parser


def run(args, conf):
    import sys
    root = args.dir
    if not os.path.isdir(os.path.join(root, 'templates')):
        sys.stderr.write('%s has no templates/ directory: give the '
                         'project\'s directory\n' % root)
        return 2
    found = check(root)
    for error in found:
        sys.stderr.write('%s\n' % error)
    if found:
        sys.stderr.write('%d error(s)\n' % len(found))
        return 1
    sys.stdout.write('templates OK\n')
    return 0
