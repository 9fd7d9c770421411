"""The pipeline every hook runs, whatever its group:

stdin -> Deployment -> desired state (format reader) -> environment ->
lock -> converge (plan + engine + wait) -> reply on stdout, exit status.

stdout carries exactly one JSON object: file descriptor 1 is pointed at
stderr for the whole run (so nothing a library or a tool prints can reach
it), and the reply is written to the saved original at the end.
"""

import json
import logging as std_logging
import os
import sys

from oslo_log import log as logging

from heat_container_hooks import conf as conf_mod
from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import environment
from heat_container_hooks import errors
from heat_container_hooks import groups
from heat_container_hooks import interrupt
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
    'expose_inputs': lambda v: _input_names(v),
}


def _input_names(value):
    """A list of input names; a string is refused rather than guessed at
    (one name? comma-separated?)."""
    if isinstance(value, str):
        raise values.Invalid('is a string, not a list of input names (fix: '
                             'a list, e.g. [deploy_stack_id])')
    return values.text_list(value)


def read_options(options, group, lenient=False):
    """Every per-deployment option in ``options``, validated: {key: value}.

    Raises InvalidDeployment naming each bad key. With ``lenient`` (DELETE:
    removing what a deployment made must not depend on its current config
    being valid) a bad option other than managed_by, which says whose
    containers these are, is left out and returned as a note instead:
    (values, notes).
    """
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
    if not lenient:
        problems.raise_if_any()
        return overrides
    fatal = [p for p in problems.items if p.field == 'options.managed_by']
    if fatal:
        raise errors.InvalidDeployment(fatal)
    return overrides, ['%s: %s; ignored on DELETE' % (p.field, p.message)
                       for p in problems.items]


def run(group_name, text, conf):
    """Carry one deployment out; returns (reply, exit status). Never
    raises: a failure, an interruption (``interrupt.Interrupted``, status
    128 + the signal) or an internal error is a failure reply; the reply is
    masked, then trimmed to ``max_reply_bytes``."""
    redactor = redaction.Redactor()
    with redaction.redacted_logs(redactor):
        failure = None
        try:
            reply = _run(group_name, text, conf, redactor)
        except errors.HookError as exc:
            failure = exc
        except interrupt.Interrupted as exc:
            failure = interrupted_failure(exc)
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
    reply, cut = reply_mod.trim(reply, conf.max_reply_bytes)
    if cut:
        LOG.warning('reply trimmed by %d characters to fit in %d bytes',
                    cut, conf.max_reply_bytes)
    return reply, reply_mod.exit_status(reply['deploy_status_code'])


def interrupted_failure(exc):
    """The failure an interruption by a signal makes (status 128+N)."""
    return errors.HookError(
        '%s (fix: run the deployment again; what this run started is '
        'finished or replaced by the next run, see doc/reliability.md)'
        % exc, status=exc.status)


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
    job, group, option_notes = prepare(group_name, text, conf, redactor)
    deployment, owner = job.deployment, job.owner
    with interrupt.step('waiting for the lock of deployment %s'
                        % owner.key):
        with lock.held(job.settings.lock_dir, owner,
                       job.settings.lock_timeout):
            with interrupt.step('%s of deployment %s (group %s)'
                                % (deployment.action, owner.key,
                                   group_name)):
                outcome = group.converge(job)
    outcome.notes[:0] = list(job.inputs.notes) + option_notes
    return reply_mod.build(deployment, outcome)


def prepare(group_name, text, conf, redactor):
    """Read and validate a heat-config item for ``group_name``: (Job,
    Group, notes on its options). Touches nothing; raises
    InvalidDeployment naming every field at fault, or HookError."""
    with interrupt.step('reading the deployment'):
        deployment = deployment_mod.parse(text)
        explicit, matched = environment.secret_input_values(
            deployment, conf.secret_inputs, conf.secret_input_patterns)
        redactor.add(explicit, explicit=True)
        redactor.add(matched)
    group = groups.get(group_name)
    if group is None:
        raise errors.HookError('no hook for group %r (fix: use one of %s)'
                               % (group_name, ', '.join(groups.available())))
    with interrupt.step('validating the deployment'):
        # Every problem at once: the options' and the config's. Options
        # are read first: nothing uses a value before it is validated.
        problems = errors.Problems()
        problems.collect(deployment_mod.check_deploy_inputs, deployment)
        # Which validation applies depends on the action: an unknown one
        # ends the run here, before anything is read or touched.
        if problems.collect(lambda: deployment.action) is None:
            problems.raise_if_any()
        option_notes = []
        if deployment.action is deployment_mod.Action.DELETE:
            overrides, option_notes = problems.collect(
                read_options, deployment.options, group,
                lenient=True) or ({}, [])
        else:
            overrides = problems.collect(read_options, deployment.options,
                                         group) or {}
        inputs = environment.from_inputs(
            deployment, conf.secret_inputs, conf.secret_input_patterns,
            expose=overrides.get('expose_inputs', ()))
        desired = problems.collect(group.desired, deployment, inputs, conf)
        problems.raise_if_any()
        settings = conf_mod.settings_for(
            conf, group_name, {k: v for k, v in overrides.items()
                               if k in conf_mod.OVERRIDABLE})
        redactor.add(group.secrets(desired))
    owner = deployment.owner(settings.managed_by)
    LOG.info('%s %s (config %s) for %s', deployment.action, deployment.name,
             deployment.id, owner.key)
    job = groups.Job(deployment=deployment, desired=desired,
                     settings=settings, owner=owner, inputs=inputs, conf=conf)
    return job, group, option_notes


class _StdoutGuard:
    """Points fd 1 at stderr; ``write`` sends the reply to the real
    stdout."""

    def __enter__(self):
        try:
            if sys.stdout is not None:      # None: started without fd 1
                sys.stdout.flush()
        except (OSError, ValueError):
            pass            # stdout closed: the reply is logged instead
        try:
            self.saved = os.dup(1)
        except OSError:
            self.saved = None
        os.dup2(2, 1)
        self.previous = sys.stdout
        sys.stdout = sys.stderr
        return self

    def write(self, reply):
        """Write the reply; a closed stdout (its reader gone: EPIPE, or no
        descriptor at all) is logged, never a traceback: the run itself
        is done either way."""
        data = (json.dumps(reply) + '\n').encode('utf-8')
        view = memoryview(data)
        try:
            if self.saved is None:
                raise OSError(9, 'stdout is closed')
            while view:
                written = os.write(self.saved, view)
                view = view[written:]
        except OSError as exc:
            LOG.error('cannot write the reply to stdout (%s): deployment '
                      'status %s, first line: %s', exc.strerror or exc,
                      reply.get('deploy_status_code'),
                      str(reply.get('deploy_stderr') or '').split('\n')[0])

    def __exit__(self, *exc):
        sys.stdout = self.previous
        if self.saved is not None:
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
    """Entry point of each group's executable. SIGTERM, SIGINT and SIGHUP
    end the run with a failure reply (exit status 143, 130, 129) naming
    the step they interrupted (see interrupt.py)."""
    with interrupt.handlers(), _StdoutGuard() as guard:
        try:
            with interrupt.step('reading the configuration'):
                conf, error = _setup(sys.argv[1:] if argv is None else argv)
            if error is not None:
                reply = reply_mod.failure(error)
            else:
                with interrupt.step('reading the deployment from stdin'):
                    # None: started without fd 0 (an empty deployment).
                    text = sys.stdin.buffer.read() if sys.stdin else b''
                reply = run(group_name, text, conf)[0]
        except interrupt.Interrupted as exc:
            failure = interrupted_failure(exc)
            LOG.error('%s', failure)
            reply = reply_mod.failure(failure)
        code = reply_mod.exit_status(reply['deploy_status_code'])
        interrupt.replying()
        guard.write(reply)
    if interrupt.interrupted():
        # Threads may still wait on the engine for work that no longer
        # matters: the reply is out, the log flushed; exit now.
        std_logging.shutdown()
        os._exit(code)
    return code
