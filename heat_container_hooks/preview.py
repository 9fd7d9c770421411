"""``heat-container-hooks plan``: what a run of a deployment would do now,
touching nothing (it only reads the engine).

The deployment (one heat-config item, as a hook reads it) comes on stdin;
the group is the item's ``group`` unless ``--group`` names one. The exit
status follows ``terraform plan -detailed-exitcode``: 0 when the run would
change nothing, 2 when it would change something (create, replace, start,
stop, remove, or an exec step, which runs on every run), 1 on error (an
invalid deployment, an unreachable engine, a group that cannot preview).
"""

import json
import sys

from heat_container_hooks import deployment as deployment_mod
from heat_container_hooks import errors
from heat_container_hooks import groups
from heat_container_hooks import hook
from heat_container_hooks import outcome
from heat_container_hooks import plan
from heat_container_hooks import redaction

NO_CHANGES, ERROR, CHANGES = 0, 1, 2


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'plan', help='print what a run of the deployment on stdin would do '
        '(create / replace / keep / start / remove per container, exec '
        'steps), touching nothing; exit 0: no change, 2: changes, 1: error')
    parser.add_argument('--group', choices=sorted(groups.GROUPS),
                        help='hook group (default: the item\'s "group")')
    parser.add_argument('--format', choices=('text', 'json'),
                        default='text', help='output format (default '
                        '%(default)s)')


def step_word(step):
    """The preview's verb for a step: create, replace, keep, start,
    stop, remove, exec (a plan.Step's act), or a tool's own (``up``)."""
    if isinstance(step, plan.ToolStep):
        return step.word
    return step.act.name.lower()


def report(steps, notes):
    """The JSON-able preview: {changes, steps: [{action, container,
    reason}], notes}."""
    words = [step_word(s) for s in steps]
    return {
        'changes': any(w != outcome.Act.KEEP.name.lower() for w in words),
        'steps': [{'action': w, 'container': s.name, 'reason': s.reason}
                  for w, s in zip(words, steps)],
        'notes': list(notes)}


def as_text(preview):
    lines = ['%s %s%s' % (s['action'], s['container'],
                          ' (%s)' % s['reason'] if s['reason'] else '')
             for s in preview['steps']]
    lines += ['note: %s' % n for n in preview['notes']]
    lines.append('changes: %s' % ('yes' if preview['changes'] else
                                  'none'))
    return '\n'.join(lines)


def run(args, conf, stdin=None, stdout=None):
    """The ``plan`` subcommand; returns its exit status."""
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout
    redactor = redaction.Redactor()
    with redaction.redacted_logs(redactor):
        try:
            text = stdin.read()
            group_name = args.group or deployment_mod.parse(text).group
            job, group, _ = hook.prepare(group_name, text, conf, redactor)
            preview = report(*group.preview(job))
        except errors.HookError as exc:
            # Every problem, as the hook's deploy_stderr lists them.
            sys.stderr.write(redactor.text(
                'error: %s\n' % '\n'.join(exc.lines)))
            return ERROR
        if args.format == 'json':
            stdout.write(json.dumps(redactor.data(preview)) + '\n')
        else:
            stdout.write(redactor.text(as_text(preview)) + '\n')
    return CHANGES if preview['changes'] else NO_CHANGES
