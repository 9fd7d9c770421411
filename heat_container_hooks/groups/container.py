"""The neutral ``container`` group: containers described once (the
docker-cmd format plus ports and depends_on), carried out by the tool a
template parameter picks: the Docker engine directly, a compose project, or
atomic's label protocol.

The tool comes from, in order: the deployment's ``options`` (``tool``), its
``container_tool`` input (so a template parameter drives it through
``input_values``), the ``[container] default_tool`` option.

Each tool's containers carry ``managed_by=<managed_by>/<tool>``; a run first
removes what the other tools made for the same deployment, so switching the
tool of an existing deployment leaves nothing of the old one behind.
"""

import dataclasses
import shutil

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks.formats import container as container_format
from heat_container_hooks import groups
from heat_container_hooks.groups import docker_cmd as docker_cmd_group
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import values

Action = deployment_mod.Action
LOG = logging.getLogger(__name__)

TOOL_INPUT = 'container_tool'
TOOLS = ('docker', 'compose', 'atomic', 'podman')


@dataclasses.dataclass(frozen=True)
class Desired:
    tool: str
    specs: tuple


def _tool_name(value):
    name = values.text(value).strip().lower()
    if name not in TOOLS:
        raise values.Invalid('is %r, not one of %s'
                             % (value, ', '.join(TOOLS)))
    return name


def choose_tool(deployment, conf):
    """The tool for this deployment, or InvalidDeployment naming where the
    bad value came from."""
    for field, value in (('options.tool', deployment.options.get('tool')),
                         ('inputs.%s' % TOOL_INPUT,
                          deployment.input_value(TOOL_INPUT))):
        if value not in (None, ''):
            try:
                return _tool_name(value)
            except values.Invalid as exc:
                raise errors.InvalidDeployment([errors.Problem(
                    field, str(exc), 'use one of %s' % ', '.join(TOOLS))])
    return conf.container.default_tool


def tool_owner(owner, tool):
    return deployment_mod.Owner(
        managed_by='%s/%s' % (owner.managed_by, tool), key=owner.key,
        stack_id=owner.stack_id, resource_name=owner.resource_name)


class _DockerTool:
    """The Docker engine, directly: the docker-cmd group's engine."""

    name = 'docker'
    engine = 'docker'

    def problems(self, specs, conf):
        return []

    def make_engine(self, settings, conf):
        return docker_cmd_group.make_engine(
            dataclasses.replace(settings, engine=self.engine), conf)

    def cleanup(self, group, items, keys, conf, managed_by):
        from heat_container_hooks import cleanup
        return cleanup.containers(group, items, conf, managed_by=managed_by,
                                  make_engine=self.make_engine)

    def preview(self, job, specs, owner, action):
        # The tool's own engine (podman's for the podman tool), which
        # closes itself after the preview.
        return self.make_engine(job.settings, job.conf).preview(
            owner, specs, action)

    def converge(self, job, specs, owner, action):
        engine = self.make_engine(job.settings, job.conf)
        try:
            return engine.converge(owner, job.deployment.id, specs, action)
        finally:
            engine.close()


class _PodmanTool(_DockerTool):
    """podman, through its Docker-compatible API: the docker-cmd group's
    engine with ``engine = podman``."""

    name = 'podman'
    engine = 'podman'

    def problems(self, specs, conf):
        from heat_container_hooks.engines import podman as podman_engine
        return list(podman_engine.dialect_problems(specs).items)

    def cleanup(self, group, items, keys, conf, managed_by):
        """As the docker tool's, on podman; nothing where podman is not
        installed (none of its containers can exist)."""
        from heat_container_hooks.engines import podman_service
        if not podman_service.running_url(conf.podman.url) and \
                shutil.which(conf.podman.podman_path) is None:
            return []
        return super().cleanup(group, items, keys, conf, managed_by)


class _ComposeTool:
    """A compose project rendered from the specs."""

    name = 'compose'

    def problems(self, specs, conf):
        from heat_container_hooks.formats import compose as compose_format
        try:
            compose_format.render_specs(specs)
        except errors.InvalidDeployment as exc:
            return exc.problems
        return []

    def cleanup(self, group, items, keys, conf, managed_by):
        from heat_container_hooks import conf as conf_mod
        from heat_container_hooks.engines import compose as compose_engine
        settings = conf_mod.settings_for(conf, group,
                                         {'managed_by': managed_by})
        engine = compose_engine.ComposeEngine(settings, conf.compose)
        try:
            return engine.cleanup(keys)
        finally:
            engine.close()

    def preview(self, job, specs, owner, action):
        from heat_container_hooks.engines import compose as compose_engine
        from heat_container_hooks.formats import compose as compose_format
        return compose_engine.ComposeEngine(
            job.settings, job.conf.compose).preview(
                compose_format.plan_specs(job.deployment, specs), owner,
                action)

    def converge(self, job, specs, owner, action):
        from heat_container_hooks.engines import compose as compose_engine
        from heat_container_hooks.formats import compose as compose_format
        project = compose_format.plan_specs(job.deployment, specs)
        engine = compose_engine.ComposeEngine(job.settings, job.conf.compose)
        try:
            return engine.converge(project, owner, action)
        finally:
            engine.close()


class _AtomicTool:
    """atomic's label protocol, run natively on the Docker engine, so the
    three tools of this group share one engine (and one label query finds
    what any of them made)."""

    name = 'atomic'
    runner = 'docker'

    def cleanup(self, group, items, keys, conf, managed_by):
        from heat_container_hooks.engines import atomic as atomic_engine
        return atomic_engine.cleanup(group, items, conf, managed_by,
                                     self.runner)

    def problems(self, specs, conf):
        from heat_container_hooks.engines import atomic_runner
        return list(atomic_runner.container_problems(
            specs, conf, self.runner).items)

    def preview(self, job, specs, owner, action):
        from heat_container_hooks.engines import atomic as atomic_engine
        return atomic_engine.converge_specs(
            specs, owner, job.deployment.id, job.settings, job.conf, action,
            runner=self.runner, preview=True)

    def converge(self, job, specs, owner, action):
        from heat_container_hooks.engines import atomic as atomic_engine
        try:
            return atomic_engine.converge_specs(
                specs, owner, job.deployment.id, job.settings, job.conf,
                action, runner=self.runner)
        except errors.HookError as exc:
            return outcome_mod.Outcome(error=exc)


ADAPTERS = {'docker': _DockerTool(), 'compose': _ComposeTool(),
            'atomic': _AtomicTool(), 'podman': _PodmanTool()}


def adapter(tool):
    return ADAPTERS[tool]


class ContainerGroup(groups.Group):
    name = 'container'
    option_readers = dict(docker_cmd_group.IMAGE_OPTION_READERS,
                          tool=_tool_name)

    def desired(self, deployment, inputs, conf):
        if deployment.action is Action.DELETE:
            # DELETE removes what every tool made for this deployment
            # (converge): a tool that is not valid any more changes
            # nothing.
            try:
                tool = choose_tool(deployment, conf)
            except errors.InvalidDeployment:
                tool = conf.container.default_tool
            return Desired(tool, ())
        tool = choose_tool(deployment, conf)
        if deployment.action is Action.SUSPEND:
            return Desired(tool, ())
        specs = container_format.read(deployment.config)
        variables = tuple((n, v) for n, v in inputs.variables
                          if n != TOOL_INPUT)
        specs = docker_cmd_group.resolve_specs(specs, conf, extra=variables)
        specs = tuple(
            dataclasses.replace(s, secret_env=s.secret_env | (
                inputs.secret_names & {n for n, _ in s.environment}))
            for s in specs)
        problems = adapter(tool).problems(specs, conf)
        if problems:
            raise errors.InvalidDeployment(problems)
        return Desired(tool, specs)

    def secrets(self, desired):
        return docker_cmd_group.spec_secrets(desired.specs)

    def converge(self, job):
        """Remove what other tools made for this deployment (all tools on
        DELETE), then carry the deployment out with its own tool."""
        action, tool = job.deployment.action, job.desired.tool
        result = outcome_mod.Outcome()
        try:
            present = tools_present(job)
        except errors.HookError as exc:
            result.error = exc
            return result
        stale = [t for t in TOOLS
                 if t in present and (action is Action.DELETE or t != tool)]
        for other in stale:
            _merge(result, adapter(other).converge(
                job, (), tool_owner(job.owner, other), Action.DELETE))
            if result.failed:
                return result
        if action is not Action.DELETE:
            _merge(result, adapter(tool).converge(
                job, job.desired.specs, tool_owner(job.owner, tool), action))
        return result

    def preview(self, job):
        """The preview of the deployment's tool; a change of tool cannot
        be previewed yet."""
        tool, action = job.desired.tool, job.deployment.action
        if action is Action.DELETE:
            steps = []
            for other in sorted(tools_present(job)):
                steps.extend(adapter(other).preview(
                    job, (), tool_owner(job.owner, other), action)[0])
            return steps, []
        stale = sorted(t for t in tools_present(job) if t != tool)
        if stale:
            raise errors.HookError(
                'this deployment has containers made by the %s tool: '
                'heat-container-hooks plan cannot preview a change of tool '
                'yet' % ', '.join(stale))
        return adapter(tool).preview(job, job.desired.specs,
                                     tool_owner(job.owner, tool), action)

    def cleanup(self, items, conf):
        """Each tool's own cleanup, for its managed_by/<tool>. Never
        raises."""
        from heat_container_hooks import cleanup
        keys, _ = cleanup.current_owners(self.name, items, conf)
        base = conf.managed_by or self.name
        lines = []
        for tool in TOOLS:
            managed_by = '%s/%s' % (base, tool)
            try:
                lines.extend(adapter(tool).cleanup(self.name, items, keys,
                                                   conf, managed_by))
            except Exception as exc:  # never stop the other cleanups
                lines.append('%s cleanup failed: %s: %s'
                             % (tool, type(exc).__name__, exc))
        return lines


def tools_present(job):
    """The tools that have containers of this deployment, in one label
    query per engine: the Docker engine's (where the docker, compose and
    atomic tools put them) and podman's. podman is asked when it is this
    deployment's tool (on DELETE it counts as present without asking) or
    when its API runs already (``[podman] url`` or the system socket): no
    private podman service is started only to look. With the podman tool,
    a Docker engine that does not answer has none of them."""
    from heat_container_hooks import dockerapi
    from heat_container_hooks.engines import podman_service
    tool = job.desired.tool
    found = set()
    try:
        found |= _tools_on(job, dockerapi.client(job.settings))
    except errors.HookError:
        if tool != 'podman':
            raise
        LOG.info('the Docker engine does not answer: no container of '
                 'this deployment can be there')
    podman_url = podman_service.running_url(job.conf.podman.url)
    if tool == 'podman' and job.deployment.action is Action.DELETE:
        found.add('podman')
    elif podman_url:
        settings = dataclasses.replace(job.settings, docker_url=podman_url)
        found |= {t for t in _tools_on(job, dockerapi.client(settings))
                  if t == 'podman'}
    return found


def _tools_on(job, api):
    from heat_container_hooks import dockerapi
    from heat_container_hooks import labels as labels_mod
    try:
        found = dockerapi.observe(api, ['%s=%s' % (labels_mod.OWNER,
                                                   job.owner.key)])
    except dockerapi.engine_errors() as exc:
        raise dockerapi.engine_failure(exc)
    finally:
        api.close()
    prefix = job.owner.managed_by + '/'
    return {c.labels.get(labels_mod.MANAGED_BY, '')[len(prefix):]
            for c in found
            if c.labels.get(labels_mod.MANAGED_BY, '').startswith(prefix)}


def _merge(result, part):
    result.results.extend(part.results)
    result.notes.extend(part.notes)
    if part.log:
        result.log = (result.log + '\n' + part.log).strip('\n')
    result.error = result.error or part.error
