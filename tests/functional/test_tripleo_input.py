"""TripleO's docker_config quirks, as tripleo-heat-templates emits them, on
the real engine: string commands split on whitespace, empty and repeated
list items, ``cpuset_cpus: all``, and every key THT emits. Each test runs
for the docker-cmd group and for the neutral container group (which reads
the same key table)."""

import os

from tests.functional import base

BOOTSTRAP_IMAGE = 'hch-test/bootstrap-host-exec:latest'

# TripleO's bootstrap_host_exec in short: the service name, then the rest
# re-read by the shell with ``eval $*``.
BOOTSTRAP_HOST_EXEC = b'''#!/bin/sh
set -e
SERVICE_NAME=$1
shift
eval $*
'''

# A su-like wrapper (util-linux's runuser; busybox's sh would run its own
# su applet): runuser USER -s SHELL -c COMMAND.
SU = b'''#!/bin/sh
user=$1; shift
while [ $# -gt 0 ]; do
  case $1 in
    -s) shell=$2; shift 2;;
    -c) command=$2; shift 2;;
    *) shift;;
  esac
done
exec "$shell" -c "$command"
'''

# Fails like heat-manage does when its arguments are lost.
TOOL = b'''#!/bin/sh
if [ $# -eq 0 ]; then
  echo "heat-manage: error: too few arguments" >&2
  exit 2
fi
echo "heat-manage ran with: $*"
'''

SERVICE = ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.2; done"]
QUOTED = ("/usr/bin/bootstrap_host_exec heat_engine runuser heat -s /bin/sh "
          "-c 'heat-manage db_sync --verbose'")


def bootstrap_image(client):
    return base.build_image(BOOTSTRAP_IMAGE, [
        'FROM %s' % base.BUSYBOX_IMAGE,
        'COPY bootstrap_host_exec /usr/bin/bootstrap_host_exec',
        'COPY su /usr/bin/runuser',
        'COPY heat-manage /usr/bin/heat-manage',
    ], {'bootstrap_host_exec': (BOOTSTRAP_HOST_EXEC, 0o755),
        'su': (SU, 0o755), 'heat-manage': (TOOL, 0o755)}, client)


class DockerCmdTripleoInputTest(base.FunctionalTest):

    def service(self, **extra):
        return dict({'image': self.image, 'command': SERVICE}, **extra)

    def test_string_command_split_on_whitespace(self):
        """TripleO's quoted commands reach the tool WITH their arguments,
        in a run step and in an exec step."""
        image = bootstrap_image(self.client)
        once, svc, inside = (self.name('sync'), self.name('svc'),
                             self.name('exec'))
        result = self.run_hook(self.item({
            once: {'image': image, 'detach': False, 'command': QUOTED},
            svc: {'image': image, 'command': SERVICE},
            inside: {'action': 'exec', 'start_order': 1,
                     'command': '%s %s' % (svc, QUOTED)},
        }))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual(2, result.stdout.count(
            'heat-manage ran with: db_sync --verbose'), result.stdout)

    def test_empty_and_repeated_list_items(self):
        """Empty items (Heat if: leaves "" or null) are skipped, repeated
        ones collapse, as paunch and the docker CLI do."""
        source = os.path.join(self.tmp, 'puppet')
        os.mkdir(source)
        with open(os.path.join(source, 'f'), 'w') as handle:
            handle.write('content\n')
        env_file = os.path.join(self.tmp, 'a.env')
        with open(env_file, 'w') as handle:
            handle.write('FROM_FILE=1\n')
        bind = '%s:/etc/puppet:ro' % source
        name = self.name('lists')
        result = self.run_hook(self.item({name: self.service(
            volumes=[bind, '', None, bind],
            environment=['A=1', '', None],
            env_file=[env_file, '', env_file],
            cap_add=['', 'NET_ADMIN', 'NET_ADMIN'],
            security_opt=['no-new-privileges', None, 'no-new-privileges'],
            ulimit=['nofile=1024:2048', ''])}))
        self.assertEqual(0, result.code, result.error)
        info = self.container(name).attrs
        self.assertEqual([bind], info['HostConfig']['Binds'])
        self.assertEqual(['NET_ADMIN'], info['HostConfig']['CapAdd'])
        self.assertEqual(['no-new-privileges'],
                         info['HostConfig']['SecurityOpt'])
        self.assertIn('A=1', info['Config']['Env'])
        self.assertIn('FROM_FILE=1', info['Config']['Env'])

    def test_one_target_twice_is_a_clear_error(self):
        name = self.name('twice')
        result = self.run_hook(self.item({name: self.service(
            volumes=['%s:/x' % self.tmp, '/etc:/x'])}))
        self.assertNotEqual(0, result.code)
        self.assertIn('%s.volumes' % name, result.error)
        self.assertIn('same target /x', result.error)
        self.assertIsNone(self.container(name))

    def test_cpuset_cpus_all_means_no_restriction(self):
        name = self.name('cpus')
        result = self.run_hook(self.item({name: self.service(
            cpuset_cpus='all')}))
        self.assertEqual(0, result.code, result.error)
        self.assertEqual('', self.container(name).attrs['HostConfig']
                         ['CpusetCpus'])

    def test_every_key_tripleo_emits(self):
        """Keys THT 8.x-14.x emits: honoured with Docker's meaning
        (pids_limit, stop_grace_period, ...) or ignored as paunch does
        (config_volume, depends_on, state, ...)."""
        name = self.name('tht')
        result = self.run_hook(self.item({name: self.service(
            config_volume='nova_libvirt', state='present',
            depends_on=['tripleo_nova_virtlogd.service'],
            systemd_exec_flags={'RuntimeDirectory': 'redis'},
            check_interval=30, test='/openstack/healthcheck',
            pids_limit=4096, stop_grace_period=60, mem_limit='512m',
            security_opt=['label=disable'], cap_add=['IPC_LOCK'],
            net='host', pid='host', privileged=False, restart='always',
            user='0', start_order=1)}))
        self.assertEqual(0, result.code, result.error)
        info = self.container(name).attrs
        self.assertEqual(4096, info['HostConfig']['PidsLimit'])
        self.assertEqual(60, info['Config']['StopTimeout'])
        self.assertEqual(512 * 1024 * 1024, info['HostConfig']['Memory'])
        self.assertNotIn('Healthcheck', info['Config'])


class ContainerGroupTripleoInputTest(DockerCmdTripleoInputTest):
    """The neutral container group reads the same docker_config."""

    group = 'container'
