"""Carrying one heat-config item out: our groups in-process through the
hook pipeline, any other group through its executable in the hook
directories (as 55-heat-config runs it), each within a timeout. Always
returns a reply; a group without a hook gets a failure reply that says
so, so Heat is told instead of waiting for its timeout."""

import json
import os
import signal
import subprocess
import threading

from oslo_log import log as logging

from heat_container_hooks import groups
from heat_container_hooks import hook

LOG = logging.getLogger(__name__)


def failure(message, code=1):
    return {'deploy_stdout': '', 'deploy_stderr': message,
            'deploy_status_code': code}


def hook_name(group):
    """The group sanitised as 55-heat-config does."""
    return ''.join(c for c in group or '' if c in '-_' or c.isalnum())


def hook_dirs(conf):
    dirs = [os.environ.get('HEAT_CONFIG_HOOKS')] + list(conf.agent.hook_dirs)
    return [d for d in dirs if d]


def find_hook(group, conf):
    name = hook_name(group)
    if not name:
        return None
    for directory in hook_dirs(conf):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def resolve_component(item):
    """A ``component`` item becomes the config of its deploy_action (as
    55-heat-config does); None when it has none for that action."""
    if item.get('group') != 'component':
        return item
    values = {i.get('name'): i.get('value') for i in item.get('inputs') or []}
    action = values.get('deploy_action')
    for config in (item.get('config') or {}).get('configs') or []:
        if action in (config.get('actions') or ()):
            return dict(item, config=config.get('config'),
                        group=config.get('tool'))
    return None


def run(item, conf):
    """(reply, how) for one item; never raises."""
    timeout = conf.agent.deployment_timeout
    group = item.get('group')
    if group in groups.available():
        return _in_process(group, item, conf, timeout), 'in-process'
    path = find_hook(group, conf)
    if path is None:
        return failure(
            'no hook for group %r on this server (looked for %r in %s; fix:'
            ' install the hook for this group, or use one of the groups %s)'
            % (group, hook_name(group), ', '.join(hook_dirs(conf)),
               ', '.join(groups.available()))), 'no hook'
    return _external(path, item, timeout), path


def _in_process(group, item, conf, timeout):
    result = {}

    def target():
        try:
            result['reply'] = hook.run(group, json.dumps(item), conf)[0]
        except BaseException as exc:  # hook.run never raises; be sure
            result['reply'] = failure('internal error: %s: %s'
                                      % (type(exc).__name__, exc))

    thread = threading.Thread(target=target, daemon=True,
                              name='deploy-%s' % item.get('id'))
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        LOG.error('deployment %s did not finish within %gs',
                  item.get('name'), timeout)
        return failure(
            'the deployment did not finish within %gs (fix: raise '
            '[agent] deployment_timeout, or the hook\'s own timeouts)'
            % timeout)
    return result['reply']


def _coerce_inputs(item):
    """String inputs that are not str become str(value), as the upstream
    dispatcher passes them to its hooks."""
    item = dict(item)
    inputs = []
    for entry in item.get('inputs') or []:
        if entry.get('type') == 'String' and \
                not isinstance(entry.get('value'), str):
            entry = dict(entry, value=str(entry.get('value')))
        inputs.append(entry)
    item['inputs'] = inputs
    return item


def _external(path, item, timeout):
    data = json.dumps(_coerce_inputs(item)).encode('utf-8', 'replace')
    try:
        proc = subprocess.Popen([path], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        return failure('cannot run the hook %s: %s (fix: make it an '
                       'executable with a valid interpreter line)'
                       % (path, exc.strerror))
    try:
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        return failure('the hook %s did not finish within %gs and was '
                       'killed (fix: raise [agent] deployment_timeout)\n%s'
                       % (path, timeout,
                          stderr.decode('utf-8', 'replace')))
    if stdout:
        try:
            reply = json.loads(stdout.decode('utf-8', 'replace'))
            if isinstance(reply, dict):
                return reply
        except ValueError:
            pass
    # Not one JSON object: what 55-heat-config signals then.
    return {'deploy_stdout': stdout.decode('utf-8', 'replace'),
            'deploy_stderr': stderr.decode('utf-8', 'replace'),
            'deploy_status_code': proc.returncode}
