"""Collecting a server's deployments through os-collect-config's own
collectors, used as a library.

Heat gives every server an os-collect-config section (the DeployedServer's
``os_collect_config`` attribute, a Nova server's metadata): which collector
to use and the stack user's credentials for it. The agent reads that
section from its configuration file, in the groups os-collect-config itself
reads (``[heat]``, ``[cfn]``, ``[request]``, ``[zaqar]``, the same names and
keys as /etc/os-collect-config.conf, so that file can simply be passed as
one more ``--config-file``), and ``[agent] collectors`` names the ones to
run:

    heat     POLL_SERVER_HEAT: the resource metadata through the Heat API,
             authenticated as the stack user (user_id, password, project_id,
             auth_url; stack_id, resource_name)
    cfn      POLL_SERVER_CFN: heat-api-cfn's DescribeStackResource, signed
             with the stack user's ec2 keypair (metadata_url,
             access_key_id, secret_access_key, stack_name, path)
    request  POLL_TEMP_URL: a Swift TempURL (metadata_url)
    zaqar    ZAQAR_MESSAGE: the server's queue (user_id, password,
             project_id, auth_url, queue_id)

Each collector is os-collect-config's ``Collector`` class, which reads its
options from oslo.config's global CONF: the agent registers the same
option lists (``os_collect_config.<name>.opts``) there, so the collectors
run unchanged. What a collector returns is os-collect-config's list of
(name, content); the first entry is the whole metadata, whose
``deployments`` list (or the keys of ``[DEFAULT] deployment_key``, as
os-collect-config) is what the agent runs.

The ``request`` collector answers "not available" when the object's
Last-Modified did not change since its last fetch: the agent then keeps
the list it fetched last.
"""

import importlib

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# The collectors of os-collect-config the agent uses, and what Heat calls
# the transport each one serves.
NAMES = ('heat', 'cfn', 'request', 'zaqar')
TRANSPORTS = {'heat': 'POLL_SERVER_HEAT', 'cfn': 'POLL_SERVER_CFN',
              'request': 'POLL_TEMP_URL', 'zaqar': 'ZAQAR_MESSAGE'}

# The options each collector cannot work without, for the error's fix.
REQUIRED = {
    'heat': ('auth_url', 'user_id', 'password', 'project_id', 'stack_id',
             'resource_name'),
    'cfn': ('metadata_url', 'access_key_id', 'secret_access_key',
            'stack_name', 'path'),
    'request': ('metadata_url',),
    'zaqar': ('auth_url', 'user_id', 'password', 'project_id', 'queue_id'),
}


class CollectorError(Exception):
    """A collector could not be used or did not answer; the message names
    the collector and, when it is a configuration problem, the fix."""


def _module(name):
    return importlib.import_module('os_collect_config.%s' % name)


def deployment_key_opt():
    """os-collect-config's own ``[DEFAULT] deployment_key`` option."""
    collect = _module('collect')
    return [o for o in collect.opts if o.dest == 'deployment_key'][0]


def list_opts():
    """(group, options) of the collectors' groups, as os-collect-config
    registers them, plus ``[DEFAULT] deployment_key``."""
    found = [('DEFAULT', [deployment_key_opt()])]
    found.extend((name, list(_module(name).opts)) for name in NAMES)
    # The heat and zaqar collectors authenticate through this group's
    # token cache (cache_dir unset: no cache on disk).
    found.append(('keystone', list(_module('keystone').opts)))
    return found


def register_opts(conf=cfg.CONF):
    """Register the collectors' options (idempotent). They are read from
    the global CONF by the collectors themselves, so ``conf`` must be it
    for collect() to work."""
    for group, opts in list_opts():
        conf.register_opts(opts, group=None if group == 'DEFAULT'
                           else group)


class Collection:
    """The collectors named in ``[agent] collectors``, kept between cycles
    (the request collector remembers Last-Modified)."""

    def __init__(self, conf, names):
        """names: a subset of NAMES. Raises CollectorError for an unknown
        name (the fix lists the known ones)."""
        unknown = [n for n in names if n not in NAMES]
        if unknown:
            raise CollectorError(
                'unknown collector(s) %s in [agent] collectors (fix: use '
                'some of %s)' % (', '.join(unknown), ', '.join(NAMES)))
        register_opts(conf)
        self.conf = conf
        self.names = list(names)
        self.collectors = {}
        self.last = {}

    def _collector(self, name):
        if name not in self.collectors:
            self.collectors[name] = _module(name).Collector()
        return self.collectors[name]

    def items(self, name):
        """The deployments the collector ``name`` finds now: a list of
        heat-config items. Raises CollectorError."""
        exc = _module('exc')
        try:
            found = self._collector(name).collect()
        except exc.SourceNotConfigured:
            group = getattr(self.conf, name)
            missing = [o for o in REQUIRED[name] if not getattr(group, o)]
            raise CollectorError(
                'collector %s is not configured: [%s] %s unset (fix: copy '
                'the server\'s os-collect-config section %r, which Heat '
                'makes for %s, into the agent\'s configuration)'
                % (name, name, ', '.join(missing) or 'options', name,
                   TRANSPORTS[name]))
        except exc.SourceNotAvailable:
            if name == 'request' and name in self.last and \
                    self._collector(name).last_modified:
                return self.last[name]      # not modified since
            raise CollectorError(
                'collector %s could not fetch the metadata (its warning '
                'above says why)' % name)
        except Exception as error:  # a collector bug must not stop others
            raise CollectorError('collector %s failed: %s: %s'
                                 % (name, type(error).__name__, error))
        content = dict(found[0][1]) if found else {}
        items = []
        for key in self.conf.deployment_key or ['deployments']:
            value = content.get(key)
            if isinstance(value, list):
                items.extend(value)
            elif value is not None:
                raise CollectorError(
                    'collector %s: the metadata\'s %r is not a list of '
                    'deployments' % (name, key))
        self.last[name] = items
        return items
