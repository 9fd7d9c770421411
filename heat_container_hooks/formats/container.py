"""The neutral ``container`` format: the docker-cmd format (TripleO's
docker_config is written in it) plus ``ports`` and ``depends_on``, read
into the same ContainerSpecs whatever tool carries them out.
"""

import re

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks.formats import docker_cmd
from heat_container_hooks import spec as spec_mod
from heat_container_hooks import values

PORT_RE = re.compile(r'^(?:(?:\d{1,3}\.){3}\d{1,3}:)?(?:\d{1,5}:)?\d{1,5}'
                     r'(?:/(?:tcp|udp|sctp))?$')


def _ports(value):
    items = values.text_list(value)
    for item in items:
        if not PORT_RE.match(item):
            raise values.Invalid('has %r, not [ADDRESS:][HOST:]CONTAINER'
                                 '[/PROTOCOL]' % item)
    return {'ports': items}


def _dependency_names(value):
    """Names of containers of this config; systemd units (``*.service``,
    what TripleO's depends_on names for paunch's podman path) are left
    out, as paunch's Docker path ignores them."""
    if isinstance(value, dict):      # compose's long form
        value = list(value)
    return tuple(name for name in values.items(value)
                 if not name.endswith('.service'))


def _depends_on(value):
    _dependency_names(value)         # validated here, resolved in read()
    return {}


READERS = dict(docker_cmd.READERS, ports=_ports, depends_on=_depends_on)


def read(config, field='config'):
    """ContainerSpecs from a neutral config; depends_on becomes start
    orders (a container starts after everything it depends on)."""
    raw = deployment_mod.load_config_text(config, field)
    specs = docker_cmd.read(raw, field, READERS, fmt='container')
    depends = {str(name): _dependency_names(settings['depends_on'])
               for name, settings in (raw or {}).items()
               if isinstance(settings, dict) and settings.get('depends_on')}
    return _order(specs, depends, field)


def _order(specs, depends, field):
    """Raise start orders so each container starts after its
    dependencies; report unknown names and cycles."""
    by_name = {s.name: s for s in specs}
    problems = errors.Problems()
    for name, deps in depends.items():
        for dep in deps:
            if dep not in by_name:
                problems.add('%s.%s.depends_on' % (field, name),
                             'names %r, which is not in this config' % dep,
                             'list containers of this config only')
    problems.raise_if_any()
    orders = {}
    visiting = set()

    def order_of(name):
        if name in orders:
            return orders[name]
        if name in visiting:
            raise errors.InvalidDeployment([errors.Problem(
                '%s.%s.depends_on' % (field, name), 'is part of a cycle',
                'remove one of the dependencies in the cycle')])
        visiting.add(name)
        own = by_name[name].start_order
        for dep in depends.get(name, ()):
            own = max(own, order_of(dep) + 1)
        visiting.discard(name)
        orders[name] = own
        return own
    return tuple(spec_mod.replace(s, start_order=order_of(s.name))
                 for s in specs)
