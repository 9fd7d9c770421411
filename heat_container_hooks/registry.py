"""Images and registries: which images to pull under each container's pull
policy (pure), and registry credentials from a Docker-format auth file.

Pull policies are Compose's (``pull_policy``) and podman's (``--pull``):

- ``missing`` (the default; what heat-agents and paunch do): pull an image
  only when it is not present;
- ``always``: pull on every run; a container whose image id moved is then
  replaced by the planner;
- ``never``: never pull; an absent image fails the deployment before
  anything is touched.

Credentials come from a file in the format of Docker's
``~/.docker/config.json`` (``{"auths": {"registry": {"auth": base64
(user:password)}}}``, or ``username``/``password``, or a ``credsStore``),
read through the Docker SDK. They are passed to the engine only: never
logged, never put in a reply or a label.
"""

import dataclasses
import json

from heat_container_hooks import errors

MISSING, ALWAYS, NEVER = 'missing', 'always', 'never'
POLICIES = (MISSING, ALWAYS, NEVER)
# When containers sharing an image differ, the one that pulls most wins
# (Compose pulls per service; a "never" one then finds the image present).
_STRENGTH = {NEVER: 0, MISSING: 1, ALWAYS: 2}


@dataclasses.dataclass(frozen=True)
class ImageNeed:
    """What one image reference needs: its policy and the containers that
    use it (for messages)."""

    ref: str
    policy: str
    containers: tuple


def needs(specs, default=MISSING):
    """{ref: ImageNeed} of the run containers' images; a container's own
    ``pull`` wins over ``default`` (the deployment's or the config's)."""
    found = {}
    for spec in specs:
        if spec.is_exec or not spec.image:
            continue
        policy = spec.pull or default
        known = found.get(spec.image)
        if known is None:
            found[spec.image] = ImageNeed(spec.image, policy, (spec.name,))
            continue
        if _STRENGTH[policy] > _STRENGTH[known.policy]:
            known = dataclasses.replace(known, policy=policy)
        found[spec.image] = dataclasses.replace(
            known, containers=known.containers + (spec.name,))
    return found


def to_pull(image_needs, present):
    """(refs to pull, problems) given {ref: image id} of the images
    present. Pure: the caller pulls."""
    pulls, problems = [], []
    for ref, need in sorted(image_needs.items()):
        if need.policy == ALWAYS or (need.policy == MISSING
                                     and ref not in present):
            pulls.append(ref)
        elif need.policy == NEVER and ref not in present:
            problems.append(
                'image %s is not present and its pull policy is never '
                '(container %s) (fix: load or build the image, or use '
                'pull: missing)' % (ref, ', '.join(need.containers)))
    return pulls, problems


class Credentials:
    """Registry credentials of one auth file, looked up per image."""

    def __init__(self, auth_config=None):
        self._config = auth_config

    def for_image(self, ref):
        """The SDK's auth_config dict for the image's registry, or None."""
        if self._config is None:
            return None
        import docker.auth
        registry, _ = docker.auth.resolve_repository_name(ref)
        return docker.auth.resolve_authconfig(self._config, registry)


def load_credentials(path, field='registry_auth_file'):
    """Credentials from a Docker-format auth file; none without a path.
    Raises HookError naming ``field`` when the file cannot be read or is
    not such a file (its content is never quoted)."""
    if not path:
        return Credentials()
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except OSError as exc:
        raise errors.HookError('%s: cannot read %s (%s) (fix: create the '
                               'file or fix its path)'
                               % (field, path, exc.strerror or exc))
    except ValueError:
        raise errors.HookError('%s: %s is not JSON (fix: give a Docker '
                               'config.json with "auths")' % (field, path))
    if not isinstance(data, dict) or not isinstance(
            data.get('auths', {}), dict):
        raise errors.HookError('%s: %s has no "auths" mapping (fix: give a '
                               'Docker config.json with "auths")'
                               % (field, path))
    import docker.auth
    import docker.errors
    if not data:
        return Credentials()
    try:
        return Credentials(docker.auth.AuthConfig.load_config(None, data))
    except docker.errors.DockerException:
        raise errors.HookError('%s: %s has an entry that is not a valid '
                               'registry login (fix: give "auth" as base64 '
                               'of user:password)' % (field, path))
