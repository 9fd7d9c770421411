# Writes one service's rendered config files and its Kolla config.json on
# the host. Run by the <service>_config one-shot container of each
# containerised service at step 1 (python3 -c "<this file>"), with:
#   /hch/config-data  <- host ConfigDataDir (files land in <volume>/)
#   /hch/kolla        <- host KollaConfigDir (<name>.json)
#   HCH_CONFIG_VOLUME  the service's config volume name
#   HCH_CONFIG_DATA    JSON {relative path: content}; @@NAME@@ in a content
#                      is replaced by the value of the variable NAME (the
#                      secrets, passed as *PASSWORD*/*SECRET* variables
#                      that the hooks keep out of labels and logs)
#   HCH_KOLLA_CONFIG   JSON {config.json path: config}; written by basename
import json
import os
import re
import shutil
import sys

ROOT = '/hch'
PLACEHOLDER = re.compile(r'@@([A-Za-z_][A-Za-z0-9_]*)@@')
SAFE = re.compile(r'^[A-Za-z0-9_.,:+=@%/-]+$')


def fail(message):
    sys.stderr.write('write-config: %s\n' % message)
    sys.exit(1)


def fill(text, where):
    def one(match):
        name = match.group(1)
        value = os.environ.get(name, '')
        if not value:
            fail('%s needs %s, which is empty: set the service\'s password '
                 'parameter or its DefaultPasswords entry' % (where, name))
        if not SAFE.match(value):
            fail('%s: the value of %s has characters outside '
                 '[A-Za-z0-9_.,:+=@%%/-]; choose another password'
                 % (where, name))
        return value
    return PLACEHOLDER.sub(one, text)


def load(name):
    try:
        value = json.loads(os.environ.get(name) or '{}')
    except ValueError as exc:
        fail('%s is not JSON: %s' % (name, exc))
    if not isinstance(value, dict):
        fail('%s must be a JSON object' % name)
    return value


volume = os.environ.get('HCH_CONFIG_VOLUME', '')
if not re.match(r'^[a-z0-9][a-z0-9_-]*$', volume):
    fail('HCH_CONFIG_VOLUME %r is not a config volume name' % volume)
data = load('HCH_CONFIG_DATA')
kolla = load('HCH_KOLLA_CONFIG')
target = os.path.join(ROOT, 'config-data', volume)
staging = target + '.new'
shutil.rmtree(staging, ignore_errors=True)
os.makedirs(staging, mode=0o700)
for rel, content in sorted(data.items()):
    norm = os.path.normpath(rel)
    if os.path.isabs(norm) or norm.split(os.sep)[0] == '..':
        fail('config file %r must be a relative path inside the volume'
             % rel)
    if not isinstance(content, str):
        content = json.dumps(content, indent=2, sort_keys=True) + '\n'
    path = os.path.join(staging, norm)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(fill(content, rel))
    print('wrote %s/%s' % (volume, norm))
shutil.rmtree(target, ignore_errors=True)
os.rename(staging, target)
os.makedirs(os.path.join(ROOT, 'kolla'), exist_ok=True)
for name, config in sorted(kolla.items()):
    path = os.path.join(ROOT, 'kolla', os.path.basename(name))
    with open(path + '.new', 'w') as handle:
        json.dump(config, handle, indent=2, sort_keys=True)
        handle.write('\n')
    os.chmod(path + '.new', 0o644)
    os.rename(path + '.new', path)
    print('wrote kolla %s' % os.path.basename(name))
