"""The one JSON object a hook prints: deploy_stdout, deploy_stderr,
deploy_status_code and the declared outputs we know how to fill.

Outputs filled when declared (doc/outputs.md):
``containers`` (mapping of name to id, state, health, exit_code, action),
and per container ``<name>_id``, ``<name>_state``, ``<name>_health``,
``<name>_exit_code``, ``<name>_stdout``, ``<name>_stderr``.
"""

PER_CONTAINER = ('id', 'state', 'health', 'exit_code', 'stdout', 'stderr')


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
