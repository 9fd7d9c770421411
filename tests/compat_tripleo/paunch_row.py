"""The paunch row: one case for every key and action paunch 7.0.4's
docker builder reads (paunch/builder/base.py and compose1.py), and for the
keys only its podman builder reads (which it ignores with docker), each a
small docker-cmd config of one or more steps. The suite runs them exactly
as it runs TripleO's services.

Commands use stub executables of the suite's image (stub_image): a stub
prints its argv as ``hch-stub: NAME ARGS`` and exits 0; ``kolla_start``
(the image's CMD) runs until stopped.
"""

from tests.compat_tripleo import tht

IMAGE = 'registry.example.com/tripleo/paunch-row:current'
DAEMON = {'image': IMAGE, 'restart': 'always'}


def _oneshot(**settings):
    return dict({'image': IMAGE, 'detach': False}, **settings)


def _daemon(**settings):
    return dict(DAEMON, **settings)


CASES = {
    # -- commands and actions ------------------------------------------
    'command_list': {'step_1': {
        'c': _oneshot(command=['echo-args', 'a b', "'c d'", '$HOME'])}},
    'command_string': {'step_1': {
        'c': _oneshot(command="echo-args 'a b' c  d")}},
    'command_bootstrap_host_exec': {'step_1': {
        'c': _oneshot(command="/usr/bin/bootstrap_host_exec svc su svc -s "
                              "/bin/bash -c 'svc-manage db_sync --x'")}},
    'command_none': {'step_1': {'c': _daemon()}},
    'action_exec': {
        'step_1': {'target': _daemon()},
        'step_2': {'e': {'action': 'exec', 'user': 'root',
                         'command': ['target', 'echo-args', 'x y']}}},
    'action_exec_string': {
        'step_1': {'target': _daemon()},
        'step_2': {'e': {'action': 'exec',
                         'command': "target echo-args 'x y'"}}},
    'action_exec_env_privileged': {
        'step_1': {'target': _daemon()},
        'step_2': {'e': {'action': 'exec', 'privileged': True,
                         'environment': ['A=1', 'B=two words'],
                         'command': ['target', '/bin/sh', '-c',
                                     'echo-args "$A" "$B"']}}},
    'action_exec_same_step': {'step_1': {
        'target': _daemon(start_order=0),
        'e': {'action': 'exec', 'start_order': 1,
              'command': ['target', 'echo-args', 'after']}}},
    'start_order': {'step_1': {
        'b': _oneshot(start_order=2, command=['echo-args', 'b']),
        'a': _oneshot(start_order=0, command=['echo-args', 'a']),
        'c': _daemon(start_order=1)}},
    'detach_true': {'step_1': {'c': _daemon(detach=True)}},
    'detach_false': {'step_1': {'c': _oneshot(command=['echo-args', 'x'])}},
    'exit_codes_accepted': {'step_1': {
        'c': _oneshot(command=['/bin/sh', '-c', 'exit 3'],
                      exit_codes=[0, 3])}},
    'exit_codes_refused': {'step_1': {
        'c': _oneshot(command=['/bin/sh', '-c', 'exit 4'],
                      exit_codes=[0, 3])}},
    'exit_code_default_failure': {'step_1': {
        'c': _oneshot(command=['/bin/sh', '-c', 'exit 1'])}},
    'remove': {'step_1': {
        'c': _oneshot(remove=True, command=['echo-args', 'gone'])}},
    # -- healthcheck forms -------------------------------------------
    'healthcheck_string': {'step_1': {
        'c': _daemon(healthcheck={'test': '/openstack/healthcheck 5672'})}},
    'healthcheck_full': {'step_1': {
        'c': _daemon(healthcheck={'test': '/openstack/healthcheck',
                                  'interval': '2s', 'timeout': '5s',
                                  'retries': 3})}},
    'healthcheck_list_cmd': {'step_1': {
        'c': _daemon(healthcheck={
            'test': ['CMD', '/openstack/healthcheck'], 'interval': 2})}},
    'healthcheck_list_plain': {'step_1': {
        'c': _daemon(healthcheck={
            'test': ['/openstack/healthcheck', 'x'], 'interval': '2s'})}},
    'healthcheck_start_period': {'step_1': {
        'c': _daemon(healthcheck={'test': '/openstack/healthcheck',
                                  'interval': '2s',
                                  'start_period': '10s'})}},
    # -- runtime settings ----------------------------------------------
    'restart_always': {'step_1': {'c': _daemon(restart='always')}},
    'restart_unless_stopped': {'step_1': {
        'c': _daemon(restart='unless-stopped')}},
    'restart_on_failure': {'step_1': {'c': _daemon(restart='on-failure:3')}},
    'restart_no': {'step_1': {'c': _oneshot(restart='no',
                                            command=['echo-args'])}},
    'ulimit': {'step_1': {
        'c': _daemon(ulimit=['nofile=1024', 'nproc=1024:2048'])}},
    'log_tag': {'step_1': {'c': _daemon(log_tag='{{.ImageName}}/{{.Name}}')}},
    'cpu_mem': {'step_1': {
        'c': _daemon(cpu_shares=512, mem_limit='256m',
                     memswap_limit='512m', mem_swappiness=10)}},
    'cpuset_cpus': {'step_1': {'c': _daemon(cpuset_cpus='0')}},
    'cpuset_cpus_all': {'step_1': {'c': _daemon(cpuset_cpus='all')}},
    'stop_grace_period_int': {'step_1': {
        'c': _daemon(stop_grace_period=300)}},
    'stop_grace_period_duration': {'step_1': {
        'c': _daemon(stop_grace_period='1m30s')}},
    'stop_signal': {'step_1': {'c': _daemon(stop_signal='SIGINT')}},
    'interactive_tty': {'step_1': {'c': _daemon(interactive=True,
                                                tty=True)}},
    'privileged': {'step_1': {'c': _daemon(privileged=True)}},
    'privileged_false': {'step_1': {'c': _daemon(privileged=False)}},
    'user_group_add': {'step_1': {'c': _daemon(user='svc',
                                               group_add=['root'])}},
    'hostname': {'step_1': {'c': _daemon(hostname='svc.example.com')}},
    'extra_hosts': {'step_1': {
        'c': _daemon(extra_hosts=['db.example.com:192.0.2.10',
                                  'mq:192.0.2.11'])}},
    'security_opt_list': {'step_1': {
        'c': _daemon(security_opt=['label=disable',
                                   'no-new-privileges'])}},
    'security_opt_string': {'step_1': {
        'c': _daemon(security_opt='label=disable')}},
    'cap_add_drop': {'step_1': {
        'c': _daemon(cap_add=['NET_ADMIN', 'SYS_ADMIN'],
                     cap_drop=['MKNOD'])}},
    # -- namespaces ----------------------------------------------------
    'net_pid_ipc_uts_host': {'step_1': {
        'c': _daemon(net='host', pid='host', ipc='host', uts='host')}},
    'net_none': {'step_1': {'c': _daemon(net='none')}},
    'namespaces_of_container': {'step_1': {
        'a': _daemon(start_order=0, ipc='shareable'),
        'b': _daemon(start_order=1, net='container:a', pid='container:a',
                     ipc='container:a')}},
    # -- volumes and environment ---------------------------------------
    'volumes': {'step_1': {
        'c': _daemon(volumes=['/var/lib/svc:/var/lib/svc:ro',
                              '/var/log/svc:/var/log/svc:z',
                              '/var/lib/shared:/shared:shared,z',
                              '/etc/hosts:/etc/hosts:ro'])}},
    'volume_anonymous': {'step_1': {'c': _daemon(volumes=['/data'])}},
    'volumes_empty_and_repeated': {'step_1': {
        'c': _daemon(volumes=['/etc/puppet:/etc/puppet:ro', '',
                              '/etc/puppet:/etc/puppet:ro'])}},
    'volumes_from': {'step_1': {
        'a': _daemon(start_order=0, volumes=['/var/lib/a:/a']),
        'b': _daemon(start_order=1, volumes_from=['a'])}},
    'env_file_string': {'step_1': {
        'c': _oneshot(env_file='/etc/environment',
                      command=['/bin/sh', '-c', 'echo-args "$HCH_ENV_FILE"'])
    }},
    'env_file_list': {'step_1': {
        'c': _oneshot(env_file=['/etc/environment'],
                      environment=['HCH_ENV_FILE=over'],
                      command=['/bin/sh', '-c', 'echo-args "$HCH_ENV_FILE"'])
    }},
    'environment_list': {'step_1': {
        'c': _oneshot(environment=['A=1', 'B=with space', 'C=', 'D=a=b'],
                      command=['/bin/sh', '-c',
                               'echo-args "$A" "$B" "$C" "$D"'])}},
    'environment_dict': {'step_1': {
        'c': _oneshot(environment={'A': '1', 'B': 'with space',
                                   'D': 'a=b'},
                      command=['/bin/sh', '-c', 'echo-args "$A" "$B" "$D"'])
    }},
    'environment_dict_empty_value': {'step_1': {
        'c': _oneshot(environment={'A': '', 'B': 0},
                      command=['/bin/sh', '-c',
                               'echo-args "${A-unset}" "${B-unset}"'])}},
    # -- keys paunch's docker builder ignores --------------------------
    'podman_only_keys': {'step_1': {
        'c': _daemon(check_interval=30, pids_limit=65536,
                     depends_on=['openvswitch.service'],
                     systemd_exec_flags={'RestartSec': 5},
                     config_volume='svc')}},
}


def services():
    """The cases as tht.Services named ``paunch/CASE``."""
    return [tht.Service('paunch/%s' % name, None, steps)
            for name, steps in sorted(CASES.items())]
