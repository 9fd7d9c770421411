#!/usr/bin/env python3
"""Kolla's image contract for images built without Kolla.

Installed in the image as /usr/local/bin/kolla_set_configs and
/usr/local/bin/kolla_start (the same file; what it does follows the name it
was called by, or the first argument `set-configs` / `start`):

kolla_set_configs
    reads the config.json (the $KOLLA_CONFIG environment variable holding
    the JSON itself, else the file $KOLLA_CONFIG_FILE, default
    /var/lib/kolla/config_files/config.json), copies `config_files` per
    $KOLLA_CONFIG_STRATEGY (COPY_ALWAYS: on every start; COPY_ONCE: only
    on the first start of the container), applies `permissions`, and writes
    the command to /run_command.
kolla_start
    runs kolla_set_configs (through `sudo -E` when not root, as Kolla's
    images do), then execs the command, split on white space exactly as
    Kolla's `exec ${CMD} ${ARGS}` does (no shell quoting).

config.json: {"command": "...",                          (required)
              "config_files": [{"source": glob, "dest": path (trailing
                  "/" = into that directory), "owner": "user[:group]",
                  "perm": "0600", "merge": false,
                  "preserve_properties": false, "optional": false}],
              "permissions": [{"path": glob, "owner": "user[:group]",
                  "perm": "0750", "recurse": false}]}

Python standard library only: it runs inside the service image.
"""

import glob
import grp
import json
import os
import pwd
import shutil
import sys

DEFAULT_CONFIG_FILE = '/var/lib/kolla/config_files/config.json'
RUN_COMMAND = '/run_command'
CONFIGURED = '/configured'
STRATEGIES = ('COPY_ALWAYS', 'COPY_ONCE')


class KollaError(Exception):
    """A problem in the config.json or its sources; the message says which
    field and how to fix it. Exit status 1, like Kolla's."""


def log(message, *args):
    sys.stderr.write('INFO:kolla_set_configs:%s\n' % (message % args))


def load_config(environ=None):
    environ = os.environ if environ is None else environ
    text = environ.get('KOLLA_CONFIG')
    if text:
        origin = 'the KOLLA_CONFIG environment variable'
    else:
        path = environ.get('KOLLA_CONFIG_FILE') or DEFAULT_CONFIG_FILE
        origin = path
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError as exc:
            raise KollaError('cannot read the config file %s (%s): mount a '
                             'config.json there or set KOLLA_CONFIG'
                             % (path, exc.strerror))
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise KollaError('%s is not valid JSON: %s' % (origin, exc))
    validate(config, origin)
    return config


def validate(config, origin='config.json'):
    problems = []
    if not isinstance(config, dict):
        raise KollaError('%s must be a JSON object' % origin)
    if not isinstance(config.get('command'), str) or \
            not config['command'].strip():
        problems.append('"command" is required: the command line of the '
                        'service')
    for index, entry in _entries(config, 'config_files', problems):
        where = 'config_files[%d]' % index
        for key in ('source', 'dest'):
            if not isinstance(entry.get(key), str) or not entry[key]:
                problems.append('%s.%s is required (a path)' % (where, key))
        problems.extend(_check_perm(entry, where))
    for index, entry in _entries(config, 'permissions', problems):
        where = 'permissions[%d]' % index
        if not isinstance(entry.get('path'), str) or not entry['path']:
            problems.append('%s.path is required' % where)
        if not entry.get('owner'):
            problems.append('%s.owner is required (user or user:group)'
                            % where)
        problems.extend(_check_perm(entry, where))
    if problems:
        raise KollaError('%s: %s' % (origin, '; '.join(problems)))


def _entries(config, key, problems):
    """(index, entry) of the list config[key]; wrong shapes go to
    problems."""
    entries = config.get(key, [])
    if not isinstance(entries, list):
        problems.append('"%s" must be a list' % key)
        return
    for index, entry in enumerate(entries):
        if isinstance(entry, dict):
            yield index, entry
        else:
            problems.append('%s[%d] must be an object' % (key, index))


def _check_perm(entry, where):
    perm = entry.get('perm')
    if perm is None:
        return []
    try:
        _mode(perm)
    except (TypeError, ValueError):
        return ['%s.perm %r must be an octal string such as "0600"'
                % (where, perm)]
    return []


def _mode(perm):
    if isinstance(perm, int) and not isinstance(perm, bool):
        return perm
    return int(str(perm), 8)


def owner_ids(owner):
    """uid, gid for "user" or "user:group" (names or numbers); a bare user
    gets the group of the same name, else the user's primary group."""
    user, _, group = str(owner).partition(':')
    try:
        entry = pwd.getpwuid(int(user)) if user.isdigit() else \
            pwd.getpwnam(user)
    except KeyError:
        raise KollaError('owner %r: no user %r in the image' % (owner, user))
    if not group:
        try:
            return entry.pw_uid, grp.getgrnam(user).gr_gid
        except KeyError:
            return entry.pw_uid, entry.pw_gid
    if group.isdigit():
        return entry.pw_uid, int(group)
    try:
        return entry.pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        raise KollaError('owner %r: no group %r in the image'
                         % (owner, group))


class ConfigFile:
    def __init__(self, source, dest, owner=None, perm=None, merge=False,
                 preserve_properties=False, optional=False):
        self.source = source
        self.dest = dest
        self.owner = owner
        self.perm = perm
        self.merge = bool(merge)
        self.preserve_properties = bool(preserve_properties)
        self.optional = bool(optional)

    def copy(self):
        sources = sorted(glob.glob(self.source))
        if not sources:
            if self.optional:
                log('%s not found, skipped (optional)', self.source)
                return
            raise KollaError('config_files: source %s is not found; mount '
                             'it or mark the entry "optional": true'
                             % self.source)
        for source in sources:
            dest = self.dest
            if dest.endswith(os.sep):
                dest = os.path.join(dest, os.path.basename(source))
            if not self.merge:
                _delete(dest)
            parent = os.path.dirname(dest)
            if parent:
                os.makedirs(parent, exist_ok=True)
            log('copying %s to %s', source, dest)
            self._merge(source, dest)

    def _merge(self, source, dest):
        if os.path.isdir(source):
            if os.path.exists(dest) and not os.path.isdir(dest):
                _delete(dest)
            os.makedirs(dest, exist_ok=True)
            self._properties(source, dest)
            for name in sorted(os.listdir(source)):
                self._merge(os.path.join(source, name),
                            os.path.join(dest, name))
        else:
            if os.path.isdir(dest):
                _delete(dest)
            if self.preserve_properties:
                shutil.copy2(source, dest)
            else:
                shutil.copy(source, dest)
            self._properties(source, dest)

    def _properties(self, source, dest):
        if self.preserve_properties:
            info = os.stat(source)
            os.chown(dest, info.st_uid, info.st_gid)
            os.chmod(dest, info.st_mode & 0o7777)
            return
        if self.owner:
            os.chown(dest, *owner_ids(self.owner))
        if self.perm is not None:
            os.chmod(dest, _mode(self.perm))


def _delete(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def copy_config(config):
    for entry in config.get('config_files', []):
        ConfigFile(**{key: entry.get(key) for key in (
            'source', 'dest', 'owner', 'perm', 'merge',
            'preserve_properties', 'optional') if key in entry}).copy()


def handle_permissions(config):
    for entry in config.get('permissions', []):
        uid, gid = owner_ids(entry['owner'])
        perm = entry.get('perm')
        paths = sorted(glob.glob(entry['path']))
        if not paths:
            log('permissions: %s not found, skipped', entry['path'])
        for path in paths:
            targets = [path]
            if entry.get('recurse') and os.path.isdir(path):
                for root, dirs, files in os.walk(path):
                    targets.extend(os.path.join(root, name)
                                   for name in dirs + files)
            for target in targets:
                os.lchown(target, uid, gid)
                if perm is not None and not os.path.islink(target):
                    os.chmod(target, _mode(perm))


def set_configs(environ=None, root='/'):
    """kolla_set_configs: copy, set permissions, write the run command.
    Returns the command."""
    environ = os.environ if environ is None else environ
    config = load_config(environ)
    strategy = environ.get('KOLLA_CONFIG_STRATEGY')
    if strategy not in STRATEGIES:
        raise KollaError('KOLLA_CONFIG_STRATEGY is %s: set it to '
                         'COPY_ALWAYS or COPY_ONCE in the container '
                         'environment' % ('unset' if strategy is None
                                          else repr(strategy)))
    configured = os.path.join(root, CONFIGURED.lstrip('/'))
    if strategy == 'COPY_ONCE' and os.path.exists(configured):
        log('COPY_ONCE: already configured, configs left unchanged')
    else:
        copy_config(config)
        if strategy == 'COPY_ONCE':
            with open(configured, 'w'):
                pass
    handle_permissions(config)
    command = config['command'].strip()
    with open(os.path.join(root, RUN_COMMAND.lstrip('/')), 'w') as handle:
        handle.write(command + '\n')
    return command


def argv_of(command, args=()):
    """`exec ${CMD} ${ARGS}`: white-space splitting, no shell quoting."""
    return command.split() + list(args)


def start(args, environ=None):
    environ = os.environ if environ is None else environ
    if os.geteuid() == 0:
        command = set_configs(environ)
    else:
        me = os.path.realpath(__file__)
        status = os.spawnvp(os.P_WAIT, 'sudo',
                            ['sudo', '-E', me, 'set-configs'])
        if status != 0:
            return status
        with open(RUN_COMMAND) as handle:
            command = handle.read().strip()
    argv = argv_of(command, args)
    log('running command: %s', ' '.join(argv))
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(argv[0], argv)


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    name = os.path.basename(argv[0])
    args = argv[1:]
    mode = 'start' if name == 'kolla_start' else 'set-configs'
    if args and args[0] in ('start', 'set-configs'):
        mode, args = args[0], args[1:]
    try:
        if mode == 'start':
            return start(args)
        set_configs()
        return 0
    except KollaError as exc:
        sys.stderr.write('ERROR:kolla_set_configs:%s\n' % exc)
        return 1


if __name__ == '__main__':
    sys.exit(main())
