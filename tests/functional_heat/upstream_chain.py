"""The real upstream agent chain as a server on a cloud runs it, against
the Keystone-authenticated local Heat: os-collect-config (PyPI) polling
with the collector and the stack user's credentials of the server's
os-collect-config section -> os-refresh-config -> os-apply-config
(heat-agents' heat-config template) -> 55-heat-config -> our hooks, put
in place by `heat-container-hooks install-hooks` -> heat-agents' real
heat-config-notify (HEAT_SIGNAL through Keystone, CFN_SIGNAL to the
pre-signed heat-api-cfn URL).

The directories are those of tests/functional/upstream.Chain; here
os-collect-config runs as the long-lived poller it is on a server.
"""

import os
import subprocess

import fixtures

from tests.functional import upstream
from tests.functional_heat import base
from tests.heat import proc as proc_mod


class CollectingChain(fixtures.Fixture):
    """The chain for one server (``occ``: its os-collect-config section),
    in ``work_dir``, our hooks configured by ``hooks_conf`` (a file).
    os-collect-config's output is <work_dir>/chain.log; it is stopped
    (SIGTERM, then SIGKILL of its process group) on cleanUp."""

    def __init__(self, occ, work_dir, hooks_conf, polling_interval=1):
        super().__init__()
        self.occ = occ
        self.work_dir = work_dir
        self.hooks_conf = hooks_conf
        self.polling_interval = polling_interval
        self.process = None

    def _setUp(self):
        self.chain = upstream.Chain(self.work_dir)
        self.chain.install_our_hooks(self.hooks_conf)
        with open(self.chain.occ_conf, 'w') as handle:
            handle.write(base.occ_groups_text(self.occ))
        collectors = base.occ_collectors(self.occ)
        command = '%s --lockfile %s' % (
            upstream._script('os-refresh-config'),
            os.path.join(self.work_dir, 'orc.lock'))
        self.log_path = os.path.join(self.work_dir, 'chain.log')
        with open(self.log_path, 'a') as log:
            self.process = subprocess.Popen(
                [upstream._script('os-collect-config'),
                 '--config-file', self.chain.occ_conf,
                 '--cachedir', self.chain.cache_dir,
                 '--backup-cachedir', self.chain.cache_dir + '-backup',
                 '--command', command,
                 '--polling-interval', str(self.polling_interval),
                 '--min-polling-interval', str(self.polling_interval)]
                + collectors,
                env=self.chain.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
        self.addCleanup(self.stop)

    def stop(self):
        proc, self.process = self.process, None
        if proc is not None:
            proc_mod.stop_group(proc, 15)

    def log_tail(self, lines=60):
        return proc_mod.tail(self.log_path, lines)
