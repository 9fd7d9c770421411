"""Hook groups: each wires one config format to the engine that carries it
out. The pipeline (hook.py) is the same for all of them.

A group implements:

- ``desired(deployment, inputs, conf)``: pure reading and validation of the
  config into what the engine needs; raises InvalidDeployment, touching
  nothing;
- ``converge(job)``: carries the deployment's action out and returns an
  Outcome;
- ``preview(job)``: (steps, notes): what ``converge`` would do now, read
  from the engine, touching nothing (``heat-container-hooks plan``); raises
  HookError for a group or tool that cannot preview yet;
- ``secrets(desired)``: secret values found in the config (redacted);
- ``cleanup(items, conf)``: removes what this group made for deployments that
  are no longer in the heat-config list.
"""

import dataclasses
import importlib

from heat_container_hooks import conf as conf_mod

# group name -> "module:class"; imported only when used (start-up cost).
GROUPS = {
    'docker-cmd': 'heat_container_hooks.groups.docker_cmd:DockerCmdGroup',
    'docker-compose':
        'heat_container_hooks.groups.docker_compose:DockerComposeGroup',
    'atomic': 'heat_container_hooks.groups.atomic:AtomicGroup',
    'container': 'heat_container_hooks.groups.container:ContainerGroup',
}


@dataclasses.dataclass
class Job:
    """One deployment, read and validated, ready to be carried out."""

    deployment: object
    desired: object
    settings: conf_mod.Settings
    owner: object
    inputs: object          # environment.InputEnvironment
    conf: object


class Group:
    name = None
    # Extra deployment ``options`` keys this group accepts: key -> reader.
    option_readers = {}

    def desired(self, deployment, inputs, conf):
        raise NotImplementedError

    def converge(self, job):
        raise NotImplementedError

    def preview(self, job):
        from heat_container_hooks import errors
        raise errors.HookError(
            'heat-container-hooks plan cannot preview the %s group'
            % self.name)

    def secrets(self, desired):
        return []

    def cleanup(self, items, conf):
        return []


def available():
    """The groups whose module is present."""
    names = []
    for name, target in GROUPS.items():
        module = target.partition(':')[0]
        if importlib.util.find_spec(module) is not None:
            names.append(name)
    return names


def get(name):
    """A new Group for ``name``, or None when no such group exists. A
    group whose module fails to import raises that ImportError: a broken
    install must fail loudly, never pass for a missing group."""
    target = GROUPS.get(name)
    if target is None:
        return None
    module, _, attr = target.partition(':')
    return getattr(importlib.import_module(module), attr)()
