"""The docker-cmd group: heat-agents' and paunch's format on the Docker
engine."""

import os

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks.formats import docker_cmd as docker_cmd_format
from heat_container_hooks import groups
from heat_container_hooks import values

Action = deployment_mod.Action


def resolve_specs(specs, conf, extra=()):
    """Specs with their final environment (env files read, pass-through
    taken from the hook's own environment, secrets marked)."""
    texts = environment.read_env_files(specs, host_env=os.environ)
    return tuple(environment.resolve(
        spec, os.environ, texts, extra, conf.secret_inputs,
        conf.secret_input_patterns) for spec in specs)


def spec_secrets(specs):
    return [value for spec in specs for name, value in spec.environment
            if name in spec.secret_env]


# Deployment options of the groups that run on the Docker engine.
IMAGE_OPTION_READERS = {'pull': values.pull_policy,
                        'registry_auth_file': values.text}


def make_engine(settings, conf):
    """The engine adapter that ``settings.engine`` names: a DockerEngine,
    or a PodmanEngine (the same adapter over podman's API)."""
    if settings.engine == 'podman':
        from heat_container_hooks.engines import podman as podman_engine
        return podman_engine.PodmanEngine(settings, conf)
    from heat_container_hooks.engines import docker as docker_engine
    return docker_engine.DockerEngine(settings)


class DockerCmdGroup(groups.Group):
    name = 'docker-cmd'
    option_readers = dict(IMAGE_OPTION_READERS, engine=values.engine)

    def desired(self, deployment, inputs, conf):
        if deployment.action in (Action.DELETE, Action.SUSPEND):
            # The containers are found by their labels; the config (which
            # may be empty or stale on DELETE) is not needed.
            return ()
        specs = docker_cmd_format.read(deployment.config)
        return resolve_specs(specs, conf)

    def secrets(self, desired):
        return spec_secrets(desired)

    def preview(self, job):
        return make_engine(job.settings, job.conf).preview(
            job.owner, job.desired, job.deployment.action)

    def converge(self, job):
        engine = make_engine(job.settings, job.conf)
        try:
            return engine.converge(job.owner, job.deployment.id, job.desired,
                                   job.deployment.action)
        finally:
            engine.close()

    def cleanup(self, items, conf):
        from heat_container_hooks import cleanup
        return cleanup.containers(self.name, items, conf,
                                  make_engine=make_engine)
