"""A compose project on disk and as the engine holds it, for the compose
engine adapter: the project directory and its files (written atomically,
never outside the working directory), the record of the last successful
``up`` (what makes a no-op run skip compose), the services whose one-shot
already ran, the names results carry, the preview of an ``up``, the
environment Compose runs in, and a ``down`` without Compose.
"""

import json
import os
import stat

from oslo_log import log as logging

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import fileutil
from heat_container_hooks.formats import compose as compose_format
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod
from heat_container_hooks import plan as plan_mod

LOG = logging.getLogger(__name__)
Act = plan_mod.Act
Action = deployment_mod.Action
Result = outcome_mod.ContainerResult


def safe_dir(path, root):
    """Create ``path`` (0700) under ``root``; refuse symlinks."""
    relative = os.path.relpath(path, root)
    current = root
    for part in relative.split(os.sep):
        if part in ('', '.'):
            continue
        current = os.path.join(current, part)
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise errors.HookError(
                '%s is not a plain directory (fix: remove it; the hook '
                'writes only inside %s)' % (current, root))


def write_files(directory, root, files):
    """Write ProjectFiles under ``directory`` atomically (truncated, mode
    0600); never outside ``root``."""
    root = os.path.realpath(root)
    for item in files:
        target = os.path.normpath(os.path.join(directory, item.path))
        if not target.startswith(os.path.realpath(directory) + os.sep):
            raise errors.HookError('refusing to write %s outside %s'
                                   % (item.path, directory))
        parent = os.path.dirname(target)
        safe_dir(parent, root)
        fileutil.write_atomic(target, item.content, item.mode)


def remove_stale_files(directory, previous, files):
    """Remove the env files an earlier run wrote that the deployment no
    longer lists (they may hold secrets)."""
    keep = {f.path for f in files}
    # Earlier releases kept the secret inputs in .env without listing it.
    previous = (list(previous) if isinstance(previous, list) else []) + [
        compose_format.LEGACY_INPUTS_ENV_FILE]
    for path in previous:
        if path in keep or compose_format.relative_path_problem(path):
            continue
        target = os.path.join(directory, path)
        if os.path.isfile(target) and not os.path.islink(target):
            os.unlink(target)


def write_project(directory, root, project, owner):
    """Write a Project's files (formats.compose.render) in ``directory``
    under ``root`` (made if need be), drop the record of the last
    successful up and the env files no longer listed; returns (the
    project's digest, that record or None). Raises HookError when the
    directory cannot be written."""
    try:
        os.makedirs(root, 0o755, exist_ok=True)
        safe_dir(directory, root)
        old = read_marker(directory) or {}
        rendered = compose_format.render(project, owner)
        digest = compose_format.project_digest(project, rendered)
        applied = read_applied(directory)
        forget_applied(directory)
        write_files(directory, root, rendered)
        remove_stale_files(directory, old.get('files'), rendered)
    except OSError as exc:
        raise errors.HookError(
            'cannot write the project in %s: %s (fix: make working_dir '
            'writable)' % (directory, exc.strerror or exc))
    return digest, applied


def read_applied(directory):
    """What the last successful up recorded, or None."""
    return fileutil.read_object(
        os.path.join(directory, compose_format.APPLIED_FILE))


def forget_applied(directory):
    """Drop the record before anything changes: a run that fails or is
    killed half way must not leave one."""
    try:
        os.unlink(os.path.join(directory, compose_format.APPLIED_FILE))
    except FileNotFoundError:
        pass


def record_applied(directory, digest, containers):
    """Record a successful up: the digest, each container, and the image
    reference Compose resolved for it (interpolation included, as the
    engine lists it; an image id when the reference moved)."""
    try:
        fileutil.write_atomic(
            os.path.join(directory, compose_format.APPLIED_FILE),
            json.dumps({'digest': digest, 'containers': {
                result_name(c): c.id for c in containers}, 'images': {
                c.id: c.image for c in containers}},
                sort_keys=True) + '\n')
    except OSError as exc:
        LOG.warning('cannot record the project in %s: %s', directory, exc)


def read_marker(directory):
    return fileutil.read_object(
        os.path.join(directory, compose_format.MARKER_FILE))


def finished_oneshots(project, owner, observed):
    """Services that are one-shots whose container already exited with an
    accepted code, with the same settings and inputs as now."""
    services = compose_format.with_labels(
        project.compose, owner,
        compose_format.inputs_digest(project))['services']
    finished = set()
    for container in observed:
        name = container.labels.get(compose_format.SERVICE_LABEL)
        service = services.get(name)
        if service is None:
            continue
        oneshot, codes = compose_format.service_wait(service)
        if oneshot and container.state == 'exited' and \
                container.exit_code in codes and \
                container.fingerprint == service['labels'].get(
                    labels_mod.FINGERPRINT):
            finished.add(name)
    return finished


def result_name(container):
    """The name a container's result carries, from Compose's labels on it
    (never parsed from its name): the service, and for a scaled service's
    further containers the service with the container number in brackets
    (``worker[2]``), which no service name can be (Compose allows only
    letters, digits, ``.``, ``_`` and ``-``), so a service ``worker_2``
    and the second container of ``worker`` never collide."""
    service = container.labels.get(compose_format.SERVICE_LABEL,
                                   container.name)
    number = container.labels.get(compose_format.NUMBER_LABEL, '1')
    return service if number in ('', '1') else '%s[%s]' % (service, number)


def as_applied(project, applied, digest, observed, finished, image_ids):
    """Whether ``up`` would change nothing: the same files and inputs
    (``digest``) as the last successful run (``applied``, see
    read_applied), which left exactly these containers (ObservedContainers);
    each still runs (or is one of the ``finished`` one-shot services) on
    the image its service names now. ``image_ids(refs)`` gives {ref: image
    id} from the engine; it is called only when all else matches."""
    if not applied or applied.get('digest') != digest or \
            applied.get('containers') != {
                result_name(c): c.id for c in observed}:
        return False
    # The references as Compose resolved them (``X:${TAG:-1}``): the
    # same digest means the same interpolation.
    refs = {}
    recorded = applied.get('images') or {}
    for container in observed:
        service = container.labels.get(compose_format.SERVICE_LABEL)
        refs[container.id] = recorded.get(container.id)
        if service not in project.services or not refs[container.id] \
                or not project.service(service).get('image') \
                or refs[container.id].startswith('sha256:') \
                or (service not in finished
                    and container.state != 'running'):
            return False
    current = image_ids(sorted(set(refs.values())))
    return all(c.image_id == current.get(refs[c.id]) for c in observed)


def stale_projects(root, managed_by, current_keys, observed):
    """Names of our projects whose owner is not current: by the markers
    under ``root`` (the working directory) and by the project label of
    ``observed`` containers of ``managed_by`` (a project whose directory is
    gone)."""
    seen, stale = set(), []
    for entry in sorted(os.listdir(root)) if os.path.isdir(root) else ():
        marker = read_marker(os.path.join(root, entry))
        if not marker or marker.get('project') != entry or \
                marker.get('managed_by') != managed_by:
            continue
        seen.add(entry)
        if marker.get('owner') not in current_keys:
            stale.append(entry)
    for container in observed:
        project = container.labels.get(compose_format.PROJECT_LABEL)
        if project and project not in seen and \
                container.labels.get(labels_mod.OWNER) not in current_keys:
            seen.add(project)
            stale.append(project)
    return stale


def services_containers(found):
    """The containers of a project's services among ``found`` (what the
    project label gives; one-off ``run`` containers left out), by result
    name."""
    return sorted((c for c in found if c.labels.get(
        compose_format.ONEOFF_LABEL, 'False') != 'True'), key=result_name)


def has_compose_file(directory):
    """Whether the project directory holds its compose file."""
    return os.path.isfile(os.path.join(directory,
                                       compose_format.COMPOSE_FILE))


def tears_down(project, action):
    """Whether ``action`` (a deployment Action) on a Project takes it
    down: DELETE, or a deploy without a compose config."""
    return action is Action.DELETE or project.compose is None and \
        action not in (Action.SUSPEND, Action.RESUME)


def preview_steps(project, action, observed, finished=(), unchanged=False):
    """What a run would do to a Project (pure), for ``heat-container-hooks
    plan``: a teardown removes every container (``observed``); SUSPEND and
    RESUME stop or start those that run or do not; when the last
    successful up left the project as it is (``unchanged``, see
    as_applied) every container is kept; otherwise the containers of
    services gone from the config are removed, a ``finished`` one-shot
    service is kept, a service without a container is created, and the
    others are brought ``up`` (a plan.ToolStep: Compose decides)."""
    step = plan_mod.Step
    if tears_down(project, action):
        return [step(Act.REMOVE, result_name(c), reason='compose down')
                for c in observed]
    if action in (Action.SUSPEND, Action.RESUME):
        stop = action is Action.SUSPEND
        return [step(Act.STOP if stop else Act.START, result_name(c),
                     reason='compose %s' % ('stop' if stop else 'start'))
                for c in observed if c.running is stop]
    if unchanged:
        return [step(Act.KEEP, result_name(c), reason='nothing changed '
                     'since the last successful run') for c in observed]
    have = {c.labels.get(compose_format.SERVICE_LABEL) for c in observed}
    steps = [step(Act.REMOVE, result_name(c),
                  reason='service no longer in the config')
             for c in observed if c.labels.get(
                 compose_format.SERVICE_LABEL) not in project.services]
    for service in project.services:
        if service in finished:
            steps.append(step(Act.KEEP, service,
                              reason='one-shot already ran'))
        elif service in have:
            steps.append(plan_mod.ToolStep(
                'up', service, 'compose up: the project differs from its '
                'last successful run; Compose recreates or keeps it'))
        else:
            steps.append(step(Act.CREATE, service, reason='new'))
    return steps


def environment(project, docker_url):
    """The environment Compose runs in: the hook's own, then the
    project's variables and secrets (Compose reads its process
    environment before the project's .env, which is the deployment's own,
    from env_files), and DOCKER_HOST when ``docker_url`` is set."""
    env = dict(os.environ)
    env.update(project.variables if project else ())
    env.update(project.secrets if project else ())
    if docker_url:
        env['DOCKER_HOST'] = docker_url
    return env


def remove_by_label(api, project_name, containers, volumes, grace, log):
    """``down`` without Compose (its files are gone, or Compose refuses
    them): stop (``grace`` seconds) and remove ``containers`` (the
    project's), remove the networks and, when ``volumes``, the volumes
    carrying the project's label; each removal is noted in ``log``."""
    import docker.errors
    label = '%s=%s' % (compose_format.PROJECT_LABEL, project_name)
    for container in containers:
        if container.running:
            api.stop(container.id, timeout=grace)
        api.remove_container(container.id, force=True)
        log.append('removed container %s' % container.name)
    for network in api.networks(filters={'label': label}):
        try:
            api.remove_network(network['Id'])
            log.append('removed network %s' % network['Name'])
        except docker.errors.NotFound:
            pass
    if volumes:
        for volume in api.volumes(filters={'label': label}).get(
                'Volumes') or []:
            api.remove_volume(volume['Name'])
            log.append('removed volume %s' % volume['Name'])


def up_results(before, after, expected):
    """What an ``up`` did (pure): ``before`` {result name: id} of the
    containers found first, ``after`` the ObservedContainers found
    afterwards, ``expected`` the services Compose should have made a
    container for (formats.compose.expected_services). Returns ([(container,
    ContainerResult)] of ``after``: created, replaced or kept, by
    comparing ids; [ContainerResult] of containers gone (removed) and of
    expected services without a container (missing, failed)). A service is
    found by Compose's service label: a name such as my_service_1 is not
    container 1 of my_service."""
    items = []
    for container in after:
        name = result_name(container)
        old = before.get(name)
        items.append((container, Result(
            name, Act.KEEP if old == container.id else
            Act.REPLACE if old else Act.CREATE, id=container.id,
            state=container.state)))
    current = {item.name for _, item in items}
    others = [Result(name, Act.REMOVE, id=ident, state='removed',
                     reason='service no longer in the config')
              for name, ident in sorted(before.items())
              if name not in current]
    made = {c.labels.get(compose_format.SERVICE_LABEL) for c in after}
    others.extend(Result(name, Act.MISSING, error='compose made no '
                         'container for service %s' % name)
                  for name in expected if name not in made)
    return items, others
