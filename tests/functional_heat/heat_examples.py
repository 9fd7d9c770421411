"""heat-templates' own software-config examples, made runnable here.

The examples are vendored in heat_templates/ (heat-templates is not on
PyPI, and no PyPI sdist ships them); heat_templates/PROVENANCE.json names
the repository, commit, path and licence, and the sha256 of every file,
which load() checks before use.

transform() changes only what cannot exist on this host, and nothing in
the software configs or deployments:

- an `OS::Nova::Server` becomes an `OS::Heat::DeployedServer` (this host),
  keeping only the properties a DeployedServer has (name, metadata,
  software_config_transport, deployment_swift_data): image, flavor,
  key_name, networks, security_groups and user_data are Nova's;
- `OS::Neutron::*` resources (security group, floating IP) are dropped,
  with the outputs that read them;
- the images named in the configs (and in the compose files they get
  with get_file) are replaced by local images (no registry is reachable);
- an environment that maps `Heat::InstallConfigAgent` to a template that
  installs the agent on a Nova server maps it to `OS::Heat::SoftwareConfig`
  instead, as upstream's own example-pristine-atomic-docker-compose_env.yaml
  does "when the image already has the required agents": here our agent
  runs on the host.
"""

import hashlib
import json
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
VENDORED = os.path.join(HERE, 'heat_templates')
DEPLOYED_SERVER_PROPERTIES = ('name', 'metadata', 'software_config_transport',
                              'deployment_swift_data')
INSTALL_AGENT = 'Heat::InstallConfigAgent'


class ProvenanceError(Exception):
    pass


def provenance():
    with open(os.path.join(VENDORED, 'PROVENANCE.json')) as handle:
        return json.load(handle)


def read(name):
    """The vendored file's text, after checking its sha256 against
    PROVENANCE.json; ProvenanceError when it is not listed or differs."""
    expected = provenance()['sha256'].get(name)
    if expected is None:
        raise ProvenanceError('%s is not in heat_templates/PROVENANCE.json'
                              % name)
    with open(os.path.join(VENDORED, name), 'rb') as handle:
        data = handle.read()
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ProvenanceError('%s: sha256 %s, PROVENANCE.json says %s (the '
                              'vendored copy was changed)'
                              % (name, actual, expected))
    return data.decode('utf-8')


def parse(text):
    """A template as Heat parses it (dates stay strings)."""
    from heatclient.common import template_format
    return template_format.parse(text)


def parse_environment(text):
    from heatclient.common import environment_format
    return environment_format.parse(text)


def _refers_to(value, names):
    """Whether a template snippet reads (get_resource / get_attr) one of
    names."""
    if isinstance(value, dict):
        for key, arg in value.items():
            if key == 'get_resource' and arg in names:
                return True
            if key == 'get_attr' and isinstance(arg, list) and arg \
                    and arg[0] in names:
                return True
            if _refers_to(arg, names):
                return True
    elif isinstance(value, list):
        return any(_refers_to(item, names) for item in value)
    return False


def replace_images(value, images):
    """A copy of value with every `image: X` whose X is a key of images
    replaced by images[X] (configs nest them at any depth)."""
    if isinstance(value, dict):
        return {key: (images.get(item, item)
                      if key == 'image' and isinstance(item, str)
                      else replace_images(item, images))
                for key, item in value.items()}
    if isinstance(value, list):
        return [replace_images(item, images) for item in value]
    return value


def transform(template, images):
    """The example template (a parsed dict) as it runs here; see the
    module's docstring for what changes."""
    template = dict(template)
    resources = {}
    dropped = set()
    for name, resource in template.get('resources', {}).items():
        kind = resource.get('type', '')
        if kind.startswith('OS::Neutron::'):
            dropped.add(name)
            continue
        if kind == 'OS::Nova::Server':
            props = resource.get('properties') or {}
            resource = dict(resource, type='OS::Heat::DeployedServer',
                            properties={k: v for k, v in props.items()
                                        if k in DEPLOYED_SERVER_PROPERTIES})
        elif kind != 'OS::Heat::DeployedServer':
            resource = replace_images(resource, images)
        resources[name] = resource
    template['resources'] = resources
    template['outputs'] = {
        name: output for name, output in (template.get('outputs')
                                          or {}).items()
        if not _refers_to(output, dropped)}
    return template


def transform_environment(environment):
    """The example environment (a parsed dict) as it runs here."""
    environment = dict(environment)
    registry = dict(environment.get('resource_registry') or {})
    target = registry.get(INSTALL_AGENT)
    if target and target.endswith('.yaml'):
        registry[INSTALL_AGENT] = 'OS::Heat::SoftwareConfig'
    environment['resource_registry'] = registry
    return environment


def write(name, target_dir, images, environment=None):
    """Write the transformed template name (and the files it gets with
    get_file, their images replaced, and its environment) into
    target_dir; the paths of the template and of the environment (or
    None)."""
    template = transform(parse(read(name)), images)
    path = os.path.join(target_dir, name)
    for other in provenance()['sha256']:
        if other.endswith('.yml'):
            # Compose files a config reads with get_file.
            compose = yaml.safe_load(read(other))
            target = os.path.join(target_dir, other)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, 'w') as handle:
                yaml.safe_dump(replace_images(compose, images), handle)
    with open(path, 'w') as handle:
        yaml.safe_dump(template, handle, sort_keys=False)
    env_path = None
    if environment:
        env_path = os.path.join(target_dir, environment)
        env = transform_environment(parse_environment(read(environment)))
        with open(env_path, 'w') as handle:
            yaml.safe_dump(env, handle)
    return path, env_path
