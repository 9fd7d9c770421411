"""atomic's state on the engine. A label command creates its container
itself, so we cannot label that container; instead each installed image
has a *record*: a container that is created and never started, named
``<NAME>.hch-atomic``, made from the installed image (which pins that
image, so its UNINSTALL label can still be read after the tag moved on),
labelled with our owner labels, the fingerprint of the config, the image
id, and the id of the container named NAME that RUN created. The container
named NAME is ours only while its id equals the recorded id; a container
of that name we did not record is never touched.
"""

import dataclasses

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import dockerapi
from heat_container_hooks import errors
from heat_container_hooks.formats import atomic as fmt
from heat_container_hooks import labels as labels_mod
from heat_container_hooks import outcome as outcome_mod

RECORD = 'heat_container_hooks.atomic.record'
R_IMAGE = 'heat_container_hooks.atomic.image'
R_IMAGE_ID = 'heat_container_hooks.atomic.image_id'
R_CONTAINER = 'heat_container_hooks.atomic.container_id'
RECORD_SUFFIX = '.hch-atomic'
# The fingerprint of a record written before the label commands run.
PENDING = 'pending'


class Records:
    """The records of one managed_by on one engine (``api``, the SDK's
    low-level client); ``settings`` give managed_by and the stop grace
    period recorded."""

    def __init__(self, api, settings):
        self.api = api
        self.settings = settings

    def list(self, owner=None):
        managed_by = self.settings.managed_by
        filters = ['%s=1' % RECORD]
        if owner is not None:
            managed_by = owner.managed_by
            filters.append('%s=%s' % (labels_mod.OWNER, owner.key))
        filters.append('%s=%s' % (labels_mod.MANAGED_BY, managed_by))
        return dockerapi.observe(self.api, filters)

    def inspect(self, ident):
        import docker.errors
        try:
            return self.api.inspect_container(ident)
        except docker.errors.NotFound:
            return None

    def image_labels(self, ref):
        import docker.errors
        try:
            info = self.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None, {}
        return info['Id'], (info.get('Config') or {}).get('Labels') or {}

    def ours(self, record):
        """The container named NAME if it is the one we recorded; for a
        pending record (a run cut off while its label commands ran), the
        one made after the record from the recorded image."""
        cid = record.labels.get(R_CONTAINER)
        if not cid and record.fingerprint != PENDING:
            return None
        info = self.inspect(record.config_name)
        if info is None:
            return None
        if cid:
            return info if info['Id'] == cid else None
        made = self.inspect(record.id)
        if made is not None and info.get('Image') == record.labels.get(
                R_IMAGE_ID) and created(info) >= created(made):
            return info
        return None

    def check_free(self, owner, name):
        """Nothing is run when NAME or its record belong to someone else."""
        info = self.inspect(name)
        if info is not None:
            raise errors.HookError(
                'container %s already exists and is not one this deployment '
                'installed (fix: remove it, or give the deployment another '
                'name)' % name)
        record = self.inspect(name + RECORD_SUFFIX)
        if record is not None:
            labels = (record.get('Config') or {}).get('Labels') or {}
            raise errors.HookError(
                'the name %s is already used by deployment %s (fix: give '
                'this deployment another name)'
                % (name, labels.get(labels_mod.OWNER, 'unknown')))

    def write(self, owner, config_id, unit, image_id, cid, fingerprint):
        container_labels = labels_mod.for_container(
            owner, config_id, unit.name, fingerprint,
            self.settings.stop_grace_period)
        container_labels.update({RECORD: '1', R_IMAGE: unit.image,
                                 R_IMAGE_ID: image_id, R_CONTAINER: cid})
        return self.api.create_container(
            image_id, name=unit.name + RECORD_SUFFIX,
            labels=container_labels, entrypoint=['/hch-atomic-record'],
            network_disabled=True)['Id']

    def remove(self, ident):
        dockerapi.remove(self.api, ident)

    def run_recorded(self, commands, owner, config_id, unit, image_id,
                     fingerprint, labels, env, result, install):
        """INSTALL (if asked) and RUN under a pending record, then the final
        record: a hook killed at any point leaves a record that claims what
        its commands made, so the next run converges instead of finding a
        stranger's container. ``commands`` (atomic_runner.LabelCommands)
        run the labels. Returns (container id, failure)."""
        pending = self.write(owner, config_id, unit, image_id, '', PENDING)
        failure = None
        try:
            if install:
                commands.label(result, 'INSTALL', labels['INSTALL'],
                               unit.image, unit, env, extra=unit.installcmd)
            commands.run(result, labels, unit, env)
        except errors.HookError as exc:
            failure = exc
        info = self.inspect(unit.name)
        cid = info['Id'] if info is not None else ''
        self.remove(pending)
        # Written even after a failure, so that the next run knows the
        # container is ours and starts over (a failed fingerprint never
        # matches).
        self.write(owner, config_id, unit, image_id, cid,
                   fingerprint if failure is None else 'failed')
        return cid, failure

    def uninstall(self, commands, record, unit, result, env=(), reason=''):
        """UNINSTALL the recorded image (or remove its container when it
        has no UNINSTALL label), then forget the record: a
        ContainerResult (REMOVE; failed when the label command failed).
        ``commands`` (atomic_runner.LabelCommands) run the label."""
        name = record.config_name
        image_id = record.labels.get(R_IMAGE_ID, '')
        ref = record.labels.get(R_IMAGE, '')
        ref_id, _ = self.image_labels(ref) if ref else (None, {})
        image = ref if ref_id == image_id else image_id
        _, labels = self.image_labels(image_id)
        if unit is None or unit.name != name:
            unit = fmt.AtomicConfig(image=image, name=name)
        unit = dataclasses.replace(unit, image=image, name=name)
        item = outcome_mod.ContainerResult(name, outcome_mod.Act.REMOVE,
                                           reason=reason)
        if 'UNINSTALL' in labels:
            try:
                commands.label(result, 'UNINSTALL', labels['UNINSTALL'],
                               image, unit, env)
            except errors.HookError as exc:
                item.error = str(exc)
                return item
        current = self.ours(record)
        if current is not None:
            item.id = current['Id']
            self.api.stop(current['Id'],
                          timeout=self.settings.stop_grace_period)
            self.remove(current['Id'])
        self.remove(record.id)
        item.state = 'removed'
        return item


def created(info):
    """A container's creation time, comparable: Docker's RFC 3339 text with
    its fraction (of varying length) padded to nanoseconds."""
    text = info.get('Created') or ''
    whole, _, rest = text.partition('.')
    fraction = rest.rstrip('Z').split('+')[0]
    return whole, fraction.ljust(9, '0')


def owner_of(record):
    return deployment_mod.Owner(
        managed_by=record.labels.get(labels_mod.MANAGED_BY, ''),
        key=record.labels.get(labels_mod.OWNER, ''),
        stack_id=record.labels.get(labels_mod.STACK_ID, ''),
        resource_name=record.labels.get(labels_mod.RESOURCE_NAME, ''))
