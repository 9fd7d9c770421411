"""The pipeline every hook runs, whatever its group:

stdin -> Deployment -> desired state (format reader) -> environment ->
lock -> converge (plan + engine + wait) -> reply on stdout, exit status.

stdout carries exactly one JSON object: file descriptor 1 is pointed at
stderr for the whole run (so nothing a library or a tool prints can reach
it), and the reply is written to the saved original at the end.
"""

import json
import os
import sys

from oslo_log import log as logging

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks import groups
from heat_container_hooks import lock
from heat_container_hooks import redaction
from heat_container_hooks import reply as reply_mod
from heat_container_hooks import values

LOG = logging.getLogger(__name__)

_OPTION_READERS = {
    'managed_by': values.text,
    'lock_timeout': values.duration,
    'start_timeout': values.duration,
    'healthy_timeout': values.duration,
    'health_probe_period': values.duration,
    'oneshot_timeout': values.duration,
    'exec_timeout': values.duration,
    'stop_grace_period': values.whole_seconds,
    'settle_time': values.duration,
    'expose_inputs': lambda v: values.text_list(v),
}


def read_options(options, group):
    """Validated per-deployment overrides from ``options``."""
    readers = dict(_OPTION_READERS, **group.option_readers)
    problems = errors.Problems()
    overrides = {}
    for key, value in options.items():
        reader = readers.get(key)
        if reader is None:
            problems.add('options.%s' % key, 'is not an option of the %s '
                         'group' % group.name, 'use one of %s'
                         % ', '.join(sorted(readers)))
            continue
        try:
            overrides[key] = reader(value)
        except values.Invalid as exc:
            problems.add('options.%s' % key, str(exc))
    problems.raise_if_any()
    return {k: v for k, v in overrides.items() if k in conf_mod.OVERRIDABLE}


def run(group_name, text, conf):
    """Carry one deployment out; returns (reply, exit status)."""
    redactor = redaction.Redactor()
    with redaction.redacted_logs(redactor):
        failure = None
        try:
            reply = _run(group_name, text, conf, redactor)
        except errors.HookError as exc:
            failure = exc
        except Exception as exc:  # never a traceback in the reply
            LOG.debug('internal error', exc_info=True)
            failure = errors.HookError(
                'internal error in the %s hook: %s: %s (fix: report it with '
                'the hook\'s log; run with log_level=DEBUG for details)'
                % (group_name, type(exc).__name__, exc))
        if failure is not None:
            failure = _bounded(failure, redactor.text)
            LOG.error('%s', failure)
            reply = reply_mod.failure(failure)
        elif reply['deploy_status_code']:
            LOG.error('%s', reply['deploy_stderr'].split('\n', 1)[0])
        reply = redactor.data(reply)
    return reply, reply_mod.exit_status(reply['deploy_status_code'])


# A failure reply is read by a person in Heat's events and must stay far
# below heat-config-notify's 950,000 byte limit, whatever the input echoed.
MAX_MESSAGE = 1000
MAX_PROBLEMS = 50


def _clip(text, mask=str):
    # Masked first: a cut must not leave the start of a secret behind.
    text = mask(str(text))
    if len(text) <= MAX_MESSAGE:
        return text
    return '%s... (%d characters cut)' % (
        text[:MAX_MESSAGE], len(text) - MAX_MESSAGE)


def _bounded(failure, mask):
    """The failure with every message, field and fix of a bounded size."""
    if isinstance(failure, errors.InvalidDeployment):
        problems = [errors.Problem(_clip(p.field, mask),
                                   _clip(p.message, mask), _clip(p.fix, mask))
                    for p in failure.problems[:MAX_PROBLEMS]]
        dropped = len(failure.problems) - len(problems)
        if dropped:
            problems.append(errors.Problem(
                'config', '%d more problems not shown' % dropped))
        return errors.InvalidDeployment(problems)
    message = str(failure)
    if len(message) <= MAX_MESSAGE * 2:
        return failure
    return errors.HookError(_clip(message, mask), status=failure.status)


def _run(group_name, text, conf, redactor):
    deployment = deployment_mod.parse(text)
    redactor.add(environment.secret_input_values(
        deployment, conf.secret_inputs, conf.secret_input_patterns))
    group = groups.get(group_name)
    if group is None:
        raise errors.HookError('no hook for group %r (fix: use one of %s)'
                               % (group_name, ', '.join(groups.available())))
    inputs = environment.from_inputs(deployment, conf.secret_inputs,
                                     conf.secret_input_patterns)
    # Every problem at once: the options' and the config's.
    problems = errors.Problems()
    overrides = problems.collect(read_options, deployment.options, group)
    desired = problems.collect(group.desired, deployment, inputs, conf)
    problems.raise_if_any()
    settings = conf_mod.settings_for(conf, group_name, overrides)
    redactor.add(group.secrets(desired))
    owner = deployment.owner(settings.managed_by)
    LOG.info('%s %s (config %s) for %s', deployment.action, deployment.name,
             deployment.id, owner.key)
    job = groups.Job(deployment=deployment, desired=desired,
                     settings=settings, owner=owner, inputs=inputs, conf=conf)
    with lock.held(settings.lock_dir, owner, settings.lock_timeout):
        outcome = group.converge(job)
    outcome.notes[:0] = list(inputs.notes)
    return reply_mod.build(deployment, outcome)


class _StdoutGuard:
    """Points fd 1 at stderr; ``write`` sends the reply to the real
    stdout."""

    def __enter__(self):
        sys.stdout.flush()
        self.saved = os.dup(1)
        os.dup2(2, 1)
        self.previous = sys.stdout
        sys.stdout = sys.stderr
        return self

    def write(self, reply):
        data = (json.dumps(reply) + '\n').encode('utf-8')
        view = memoryview(data)
        while view:
            written = os.write(self.saved, view)
            view = view[written:]

    def __exit__(self, *exc):
        sys.stdout = self.previous
        os.dup2(self.saved, 1)
        os.close(self.saved)


def _setup(argv):
    # Any failure here (a bad option, an unreadable log_file, a broken
    # log_config_append) is a reply, never a traceback.
    try:
        return conf_mod.setup(argv), None
    except (Exception, SystemExit) as exc:
        return None, errors.HookError(
            'cannot read the configuration or set up logging: %s (fix: '
            'correct the config file or the command line)' % (exc,))


def main(group_name, argv=None):
    """Entry point of each group's executable."""
    with _StdoutGuard() as guard:
        conf, error = _setup(sys.argv[1:] if argv is None else argv)
        if error is not None:
            reply = reply_mod.failure(error)
            code = reply_mod.exit_status(reply['deploy_status_code'])
        else:
            reply, code = run(group_name, sys.stdin.buffer.read(), conf)
        guard.write(reply)
    return code
