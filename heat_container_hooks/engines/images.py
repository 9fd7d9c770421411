"""The images of a run on the Docker engine (or one that speaks its API):
which to pull by the containers' pull policies (registry.needs), pulled
before anything is touched."""

from heat_container_hooks import dockerapi
from heat_container_hooks import errors
from heat_container_hooks import interrupt
from heat_container_hooks import registry


def resolve(access, settings, specs, notes, pull=True):
    """{ref: image id} of the run containers' images (ContainerSpecs),
    after pulling what their pull policies ask for (``settings.pull`` the
    default; credentials from ``settings.registry_auth_file``) through
    ``access`` (dockerapi.EngineAccess). With ``pull=False`` (a preview)
    nothing is pulled and what would be is appended to ``notes``; pulled
    images are noted too. Raises EngineError before anything is touched
    when an image cannot be had (a ``never`` policy and no image)."""
    image_needs = registry.needs(specs, settings.pull)
    if not image_needs:
        return {}
    refs = sorted(image_needs)
    ids = access.read(lambda api: dockerapi.image_ids(api, refs))
    pulls, problems = registry.to_pull(image_needs, ids)
    if problems:
        raise errors.EngineError('; '.join(problems))
    if not pull:
        notes.extend('would pull image %s' % ref for ref in pulls)
    if not pulls or not pull:
        return ids
    credentials = registry.load_credentials(settings.registry_auth_file)
    with interrupt.step('pulling images %s' % ', '.join(pulls)):
        dockerapi.pull_images(access.api, pulls, credentials, present=ids)
    notes.extend('pulled image %s' % ref for ref in pulls)
    return dockerapi.image_ids(access.api, refs)
