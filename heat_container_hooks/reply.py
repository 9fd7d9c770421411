"""The one JSON object a hook prints: deploy_stdout, deploy_stderr,
deploy_status_code and the declared outputs we know how to fill.

Outputs filled when declared (doc/outputs.md):
``containers`` (mapping of name to id, state, health, exit_code, action),
and per container ``<name>_id``, ``<name>_state``, ``<name>_health``,
``<name>_exit_code``, ``<name>_stdout``, ``<name>_stderr``.
"""

import json

PER_CONTAINER = ('id', 'state', 'health', 'exit_code', 'stdout', 'stderr')

# heat-config-notify fails on a signal over this many bytes (Python 3);
# every reply a hook prints stays under [DEFAULT] max_reply_bytes, below it.
NOTIFY_LIMIT = 950000
TRIM_FIRST = ('deploy_stdout', 'deploy_stderr')
TRIM_MARK = '[%d characters trimmed]\n'
KEEP_FIRST_LINE = 4096


def exit_status(code):
    """The process exit status for a deploy_status_code."""
    if not code:
        return 0
    return code if 0 < code < 256 else 1


def build(deployment, outcome):
    error = outcome.error
    status = (error.status or 1) if error is not None else 0
    stdout = [r.summary() for r in outcome.results]
    for item in outcome.results:
        if item.stdout:
            stdout.append('--- %s stdout ---' % item.name)
            stdout.append(item.stdout.rstrip('\n'))
    stderr = []
    if error is not None:
        stderr.extend(getattr(error, 'lines', [str(error)]))
    stderr.extend(outcome.notes)
    if outcome.log:
        stderr.append(outcome.log.rstrip('\n'))
    for item in outcome.results:
        if item.stderr:
            stderr.append('--- %s stderr ---' % item.name)
            stderr.append(item.stderr.rstrip('\n'))
    reply = {'deploy_stdout': '\n'.join(stdout),
             'deploy_stderr': '\n'.join(stderr),
             'deploy_status_code': status}
    if deployment is not None:
        reply.update(outputs(deployment, outcome.results))
    return reply


def failure(error):
    """The reply for a run that failed before anything was carried out."""
    return {'deploy_stdout': '',
            'deploy_stderr': '\n'.join(getattr(error, 'lines',
                                               [str(error)])),
            'deploy_status_code': getattr(error, 'status', 1) or 1}


def outputs(deployment, results):
    values = {'containers': {r.name: r.as_output() for r in results}}
    for item in results:
        for key in PER_CONTAINER:
            values['%s_%s' % (item.name, key)] = getattr(item, key)
    return {o.name: values[o.name] for o in deployment.outputs
            if o.name in values and not o.error_output}


def _size(data):
    return len(json.dumps(data).encode('utf-8'))


def trim(reply, limit, mark=TRIM_MARK):
    """(reply that fits in ``limit`` bytes of JSON, characters cut).

    The longest string values (deploy_stdout, deploy_stderr, per-container
    outputs) are cut from the front (their end holds the errors), all to
    the same length, the largest that fits: a short value is never cut
    while a longer one could be. Each cut value starts with
    ``mark % characters cut``; a failure's first line of deploy_stderr
    (what failed, and the fix) is kept in front of the cut. The one
    implementation behind the hooks' replies and the agent's signals.
    """
    reply = dict(reply)
    if _size(reply) <= limit:
        return reply, 0
    heads, bodies = {}, {}
    for key, value in reply.items():
        if not isinstance(value, str):
            continue
        heads[key], bodies[key] = '', value
        if key == 'deploy_stderr' and reply.get('deploy_status_code'):
            first, sep, rest = value.partition('\n')
            if sep and len(first) <= KEEP_FIRST_LINE:
                heads[key], bodies[key] = first + sep, rest

    def cut_to(length):
        out, total = dict(reply), 0
        for key, body in bodies.items():
            if len(body) > length:
                cut = len(body) - length
                out[key] = heads[key] + mark % cut + body[cut:]
                total += cut
        return out, total

    # The largest common length that fits (0 if nothing does).
    low, high = 0, max([len(b) for b in bodies.values()] or [0])
    while low < high:
        middle = (low + high + 1) // 2
        if _size(cut_to(middle)[0]) <= limit:
            low = middle
        else:
            high = middle - 1
    return cut_to(low)
