"""Every service template of a tripleo-heat-templates tree, with its
``role_data.docker_config`` resolved (tests/compat_tripleo/heat_resolver)
into the step configs TripleO hands to docker-cmd / paunch.

Services are ``docker/services/**/*.yaml`` (Queens) and
``deployment/**/*.yaml`` (Train on) whose ``role_data`` output has a
``docker_config``. A service the resolver cannot evaluate is returned with
its reason, never dropped.
"""

import collections
import glob
import os

from tests.compat_tripleo import heat_resolver

# step_0 appears from Wallaby on.
STEPS = tuple('step_%d' % n for n in range(0, 7))

# parameter_defaults for every template (as an environment would give).
PARAMETER_DEFAULTS = {
    'RoleName': 'Controller',
    'EndpointMap': {},
    'ServiceNetMap': {},
    'ServiceData': {},
    'RoleParameters': {},
}

# The resource registry: THT's default (rendered), then Queens' switch of
# every service to its container template.
REGISTRY_FILES = ('overcloud-resource-registry-puppet.yaml',
                  'environments/docker.yaml')

Service = collections.namedtuple('Service', 'name path steps')
Unresolved = collections.namedtuple('Unresolved', 'name path reason detail')


def _placeholder(name, kind):
    """A value for a parameter nobody gave: images look like the image
    references TripleO passes (the suite swaps them for its own image)."""
    if name.endswith('Image') and kind == 'string':
        return 'registry.example.com/tripleo/%s:current' % name.lower()
    return heat_resolver._placeholder(name, kind)


def service_paths(root):
    patterns = ('docker/services/**/*.yaml', 'deployment/**/*.yaml')
    found = []
    for pattern in patterns:
        found.extend(glob.glob(os.path.join(root, pattern), recursive=True))
    return sorted(p for p in found if not p.endswith('.j2.yaml'))


def _role_data_node(data):
    outputs = (data or {}).get('outputs') or {}
    role_data = outputs.get('role_data')
    if not isinstance(role_data, dict):
        return None
    return role_data.get('value')


def services(root):
    """(services, unresolved) of the tree at ``root``, both sorted by
    service name (the template path relative to the tree)."""
    environments = [e for e in REGISTRY_FILES
                    if os.path.exists(os.path.join(root, e))]
    context = heat_resolver.Context(
        root, heat_resolver.load_registry(root, environments),
        PARAMETER_DEFAULTS, placeholder=_placeholder)
    found, unresolved = [], []
    for path in service_paths(root):
        with open(path) as handle:
            if 'docker_config' not in handle.read():
                continue
        name = os.path.relpath(path, root)[:-len('.yaml')]
        try:
            template = context.template(path)
            node = _role_data_node(template.data)
            if node is None:
                continue
            if isinstance(node, dict) and 'docker_config' in node:
                config = template.resolve(node['docker_config'])
            elif isinstance(node, dict):
                continue
            else:
                config = (template.resolve(node) or {}).get('docker_config')
        except heat_resolver.Unresolvable as exc:
            unresolved.append(Unresolved(name, path, exc.reason, str(exc)))
            continue
        if not config:
            continue
        steps = {}
        for step in STEPS:
            value = config.get(step)
            if value:
                steps[step] = value
        unknown = set(config) - set(STEPS)
        if unknown:
            unresolved.append(Unresolved(
                name, path, 'docker_config has non-step keys',
                ', '.join(sorted(unknown))))
            continue
        if steps:
            found.append(Service(name, path, steps))
    return found, unresolved
