"""The one image every container of the suite runs: FROM scratch with
Debian's busybox-static (as tools/setup-host builds hch-test/busybox), the
host's bash with its libraries, the users TripleO's configs name, and a
stub executable for every command word the configs use, so containers run
or exit the way TripleO expects of its Kolla images:

- a stub prints ``hch-stub: NAME ARGS`` (the suite compares these lines
  between the two tools) and exits 0;
- a daemon stub (a word that ends the command of a long-running container)
  prints the same line, then runs until stopped;
- ``kolla_start`` (the image's CMD, as in Kolla) runs until stopped, or
  exits 0 when ``KOLLA_BOOTSTRAP``/``KOLLA_UPGRADE`` asks for a bootstrap
  or when the Kolla config.json mounted into the container says so (the
  suite writes that mark for one-shot containers: in Kolla, what
  kolla_start runs, and whether it ends, is the config.json's command);
- ``bootstrap_host_exec SERVICE ARGS...`` ends in ``eval $*`` like
  TripleO's, so what it runs is re-split by the shell exactly as there;
- ``su USER [-s SHELL] [-c CMD] [ARGS]`` and ``sudo [-u U] [-E] CMD``
  run what they are given (without changing user).

The tag holds a digest of the image's content: built once per content,
then reused.
"""

import hashlib
import os
import re
import subprocess

import docker.errors

from tests.functional import base

IMAGE_REPOSITORY = 'hch14-tripleo-stub'

PATH_DIRS = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# Commands the stubs themselves need, and shells: never stubbed.
KEEP = {'sh', 'bash', 'sleep', 'echo', 'true', 'false', 'test', '[',
        'env', 'exec', 'eval', 'source', 'exit', 'cd', 'export', 'set',
        'cat', 'if', 'then', 'else', 'fi', 'for', 'do', 'done', 'in', 'while',
        'case', 'esac', 'trap', 'wait', 'shift', 'read', 'local', 'return'}
# Busybox applets linked in /bin (what the kept words need).
APPLETS = ('sh', 'sleep', 'echo', 'true', 'false', 'test', '[', 'env',
           'cat')
SPECIAL = ('kolla_start', 'bootstrap_host_exec', 'su', 'sudo')
# Where an absolute command path may be stubbed inside the image (other
# paths are data, or files mounted from the host).
_BIN_PATH = re.compile(
    r'^/(usr/)?(local/)?(s?bin|libexec)/[^/]+$|^/openstack/[^/]+$|'
    r'^/usr/share/openstack-tripleo-common/healthcheck/[^/]+$')
_WORD = re.compile(r'^[A-Za-z][A-Za-z0-9_.+-]*$')
_SPLIT = re.compile(r'[\s;&|()`\'"<>]+')

BLOCK = '''trap 'exit 0' TERM INT
while :; do sleep 3600 & wait $!; done
'''

STUB = '''#!/bin/sh
echo "hch-stub: ${0##*/} $*"
case " %(daemons)s " in
*" ${0##*/} "*) ;;
*) exit 0 ;;
esac
''' + BLOCK

KOLLA_CONFIG = '/var/lib/kolla/config_files/config.json'
ONESHOT_MARK = 'hch-oneshot'
KOLLA_START = '''#!/bin/sh
echo "hch-stub: kolla_start $*"
if [ -n "$KOLLA_BOOTSTRAP" ] || [ -n "$KOLLA_UPGRADE" ]; then exit 0; fi
case "$(cat %s 2>/dev/null)" in *%s*) exit 0 ;; esac
''' % (KOLLA_CONFIG, ONESHOT_MARK) + BLOCK

BOOTSTRAP_HOST_EXEC = '''#!/bin/bash
echo "hch-stub: bootstrap_host_exec $*"
SERVICE_NAME=$1
if [ -z "$SERVICE_NAME" ]; then
    echo "Please specify a service name"
    exit 1
fi
shift 1
eval $*
'''

SU = '''#!/bin/bash
echo "hch-stub: su $*"
shell=/bin/sh; cmd=; user=
while [ $# -gt 0 ]; do
    case "$1" in
    -s|--shell) shell=$2; shift 2 ;;
    -c|--command) cmd=$2; shift 2 ;;
    -|-l|--login|-m|-p) shift ;;
    *) if [ -z "$user" ]; then user=$1; shift; else break; fi ;;
    esac
done
if [ -n "$cmd" ]; then exec "$shell" -c "$cmd" "$@"; fi
exec "$shell" "$@"
'''

SUDO = '''#!/bin/bash
echo "hch-stub: sudo $*"
while [ $# -gt 0 ]; do
    case "$1" in
    -u|-g) shift 2 ;;
    -*) shift ;;
    *) break ;;
    esac
done
exec "$@"
'''


def command_words(command):
    """The words of a command (list or string), shell punctuation split
    off: each may be an executable somewhere in it."""
    items = command if isinstance(command, list) else [command]
    words = []
    for item in items:
        words.extend(w for w in _SPLIT.split(str(item)) if w)
    return words


def _is_daemon_container(settings):
    return (settings.get('action', 'run') == 'run'
            and settings.get('detach', True) not in (False, 'false')
            and settings.get('restart') not in (None, 'no'))


def _last_command(command):
    """The word that starts the last simple command of a command line."""
    text = ' '.join(command) if isinstance(command, list) else str(command)
    last = re.split(r'&&|\|\||;|\n', text)[-1]
    words = [w for w in _SPLIT.split(last) if w]
    while words and words[0] in ('exec', 'bash', '/bin/bash', '-c'):
        words.pop(0)
    return words[0].rsplit('/', 1)[-1] if words else None


def contents(configs):
    """What the image holds for ``configs`` (an iterable of container
    settings): (stub paths, daemon names, user names)."""
    stubs, daemons, users = set(), set(), {'root'}
    for settings in configs:
        if not isinstance(settings, dict):
            continue
        user = settings.get('user')
        if isinstance(user, str) and user:
            users.add(user.split(':')[0])
        texts = []
        if settings.get('command') is not None:
            texts.append(settings['command'])
        test = (settings.get('healthcheck') or {}).get('test')
        if test:
            texts.append(test)
        for text in texts:
            for word in command_words(text):
                if word.startswith('/') and _BIN_PATH.match(word):
                    stubs.add(word)
                elif _WORD.match(word) and word not in KEEP:
                    stubs.add('/usr/local/bin/' + word)
            if text is settings.get('command') and \
                    _is_daemon_container(settings):
                name = _last_command(text)
                if name and name not in KEEP:
                    daemons.add(name)
        # "su USER ..." names a user too.
        words = command_words(settings.get('command') or '')
        for index, word in enumerate(words[:-1]):
            if word == 'su' and _WORD.match(words[index + 1]):
                users.add(words[index + 1])
    stubs = {s for s in stubs if s.rsplit('/', 1)[-1] not in KEEP}
    return stubs, daemons - set(SPECIAL), users


def stub_script(daemons):
    """The generic stub's text, blocking for the names in ``daemons``."""
    return STUB % {'daemons': ' '.join(sorted(daemons))}


def _bash_files():
    """The host's /bin/bash and the libraries it loads: {path: bytes}."""
    files = {}
    out = subprocess.run(['ldd', '/bin/bash'], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    paths = ['/bin/bash'] + re.findall(r'(/\S+\.so[.\d]*)', out)
    for path in paths:
        with open(os.path.realpath(path), 'rb') as handle:
            files[path] = handle.read()
    return files


def build(configs, client=None):
    """The stub image's tag for ``configs`` (built when missing)."""
    client = client or base.docker_client()
    stubs, daemons, users = contents(configs)
    files = {'bin/busybox': (base.busybox_binary(), 0o755)}
    for path, data in _bash_files().items():
        files[path.lstrip('/')] = (data, 0o755)
    stub = stub_script(daemons).encode()
    for path in sorted(stubs):
        name = path.rsplit('/', 1)[-1]
        if name in SPECIAL:
            continue
        files[path.lstrip('/')] = (stub, 0o755)
    specials = {'kolla_start': KOLLA_START,
                'bootstrap_host_exec': BOOTSTRAP_HOST_EXEC,
                'su': SU, 'sudo': SUDO}
    for name, text in specials.items():
        for directory in ('usr/local/bin', 'usr/bin', 'bin'):
            files['%s/%s' % (directory, name)] = (text.encode(), 0o755)
    passwd = ''.join('%s:x:%d:%d::/var/lib/%s:/bin/sh\n'
                     % (u, 0 if u == 'root' else 1000 + i,
                        0 if u == 'root' else 1000 + i, u)
                     for i, u in enumerate(sorted(users)))
    group = ''.join('%s:x:%d:\n' % (u, 0 if u == 'root' else 1000 + i)
                    for i, u in enumerate(sorted(users)))
    files['etc/passwd'] = (passwd.encode(), 0o644)
    files['etc/group'] = (group.encode(), 0o644)
    dockerfile = [
        'FROM scratch',
        'COPY . /',
        'RUN ["/bin/busybox", "sh", "-c", "for a in %s; do '
        '[ -e /bin/$a ] || /bin/busybox ln -s busybox /bin/$a; done; '
        '/bin/busybox mkdir -p -m 1777 /tmp"]' % ' '.join(APPLETS),
        'ENV PATH=%s' % PATH_DIRS,
        'CMD ["kolla_start"]',
    ]
    digest = hashlib.sha256('\n'.join(dockerfile).encode())
    for name in sorted(files):
        digest.update(name.encode() + b'\0' + files[name][0] + b'\0'
                      + str(files[name][1]).encode())
    tag = '%s:%s' % (IMAGE_REPOSITORY, digest.hexdigest()[:16])
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        base.build_image(tag, dockerfile, files, client)
    return tag
