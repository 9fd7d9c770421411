"""Observing the engine: our containers in one query, image ids, pulls,
a container's state, removal."""

from oslo_log import log as logging

from heat_container_hooks.engineapi import transport
from heat_container_hooks import errors
from heat_container_hooks import observed as observed_mod

LOG = logging.getLogger(__name__)


def observe(api, label_filters=None):
    """Every container (or those matching label filters), in one query."""
    filters = {'label': label_filters} if label_filters else None
    found = []
    for item in api.containers(all=True, filters=filters):
        names = item.get('Names') or ['/' + item['Id'][:12]]
        found.append(observed_mod.ObservedContainer(
            id=item['Id'], name=names[0].lstrip('/'),
            state=item.get('State', ''), labels=item.get('Labels') or {},
            image_id=item.get('ImageID', ''), image=item.get('Image', ''),
            exit_code=exit_code_from_status(item.get('Status', '')),
            health=health_from_status(item.get('Status', '')),
            created=item.get('Created') or 0,
            network_mode=(item.get('HostConfig') or {}).get(
                'NetworkMode') or ''))
    return found


def health_from_status(status):
    # "Up 3 seconds (health: starting)", "Up 1 minute (healthy)"
    for mark, health in (('(health: starting)', 'starting'),
                         ('(unhealthy)', 'unhealthy'),
                         ('(healthy)', 'healthy')):
        if status.endswith(mark):
            return health
    return ''


def exit_code_from_status(status):
    # "Exited (3) 2 seconds ago"
    if status.startswith('Exited (') and ')' in status:
        try:
            return int(status[len('Exited ('):status.index(')')])
        except ValueError:
            return None
    return None


def image_ids(api, refs):
    """{ref: image id} of the images present locally."""
    if isinstance(api, transport.LocalReader):
        return api.image_ids(refs)
    import docker.errors
    ids = {}
    for ref in refs:
        try:
            ids[ref] = api.inspect_image(ref)['Id']
        except docker.errors.ImageNotFound:
            pass
    return ids


def ensure_images(api, refs, credentials=None):
    """Pull each image that is not present; returns {ref: image id}."""
    ids = image_ids(api, refs)
    pull_images(api, [ref for ref in refs if ref not in ids], credentials)
    return image_ids(api, refs)


def pull_images(api, refs, credentials=None, present=()):
    """Pull each image (with the credentials of its registry, if any).
    Raises EngineError naming every image that could not be pulled; an
    error the engine reports inside the pull's progress stream counts too.
    Credentials are never logged."""
    import docker.errors
    problems = []
    for ref in refs:
        repo, tag = _split_ref(ref)
        auth = credentials.for_image(ref) if credentials else None
        LOG.info('pulling image %s%s', ref,
                 ' with registry credentials' if auth else '')
        try:
            for event in api.pull(repo, tag=tag, stream=True, decode=True,
                                  auth_config=auth or None):
                if isinstance(event, dict) and event.get('error'):
                    raise docker.errors.APIError(event['error'])
        except docker.errors.DockerException as exc:
            problems.append('image %s %s could not be pulled: %s'
                            % (ref, 'is present but' if ref in present
                               else 'is not present and',
                               transport.reason(exc)))
    if problems:
        raise errors.EngineError('; '.join(problems) + ' (fix: build, load or'
                                 ' pull the image, fix its name, or give '
                                 'registry_auth_file)')


def _split_ref(ref):
    if '@' in ref:
        return ref, None
    name, sep, tag = ref.rpartition(':')
    if sep and '/' not in tag:
        return name, tag
    return ref, 'latest'


def state_of(info):
    state = info.get('State') or {}
    health = (state.get('Health') or {}).get('Status', '')
    return state.get('Status', ''), health, state.get('ExitCode')


def remove(api, ident):
    """Force-remove a container with its anonymous volumes; one that is
    already gone (or being removed) counts as removed."""
    import docker.errors
    try:
        api.remove_container(ident, v=True, force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if 'already in progress' not in str(exc):
            raise
