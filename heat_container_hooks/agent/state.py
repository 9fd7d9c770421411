"""What the agent remembers between runs, in ``state_dir``:

- ``<id>.reply.json``: the deployment finished; its reply is kept until the
  signal went out (a crash after the run re-sends it, without running the
  deployment again);
- ``<id>.done.json``: finished AND signalled (or the signal was refused
  for good); never run again.

A deployment with neither file is run (again): our hooks are idempotent,
so a crash or a reboot in the middle of one is harmless.
"""

import json
import os
import re

from heat_container_hooks import fileutil

_UNSAFE = re.compile(r'[^A-Za-z0-9_.-]')


class State:

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)

    def _path(self, config_id, kind):
        name = _UNSAFE.sub('_', str(config_id)) or '_'
        return os.path.join(self.directory, '%s.%s.json' % (name, kind))

    def done(self, config_id):
        return os.path.exists(self._path(config_id, 'done'))

    def reply(self, config_id):
        """The stored reply of a finished, not yet signalled run."""
        try:
            with open(self._path(config_id, 'reply'),
                      encoding='utf-8') as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def save_reply(self, config_id, reply):
        self._write(self._path(config_id, 'reply'), reply)

    def mark_done(self, config_id, record):
        self._write(self._path(config_id, 'done'), record)
        try:
            os.unlink(self._path(config_id, 'reply'))
        except FileNotFoundError:
            pass

    def _write(self, path, data):
        fileutil.write_atomic(path, json.dumps(data), sync_directory=True)
