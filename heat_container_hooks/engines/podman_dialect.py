"""What podman does differently from dockerd with the same container
settings, as pure checks and messages (the podman engine, engines/podman.py,
uses them): each names the field and the fix."""

from heat_container_hooks import errors


# The limits podman takes from containers.conf's default_ulimits only for a
# container that gives no ulimit of its own (measured on podman 4.3: one
# that gives some gets podman's built-in maximum for these).
DEFAULTED_LIMITS = ('nofile', 'nproc')


def rlimit_failure(spec, name, text):
    """The EngineError for a container podman could not give its resource
    limits (``text``: the engine's message), naming the field and the fix.
    On Docker a container gets the engine's own limits for those it does
    not set; podman asks for its built-in maximum, which hosts with lower
    hard limits (containers, CI runners) refuse."""
    given = {limit for limit, _, _ in (spec.ulimits if spec else ())}
    missing = [limit for limit in DEFAULTED_LIMITS if limit not in given]
    if given and missing:
        return errors.EngineError(
            'config.%s.ulimit: podman gives a container that sets some '
            'ulimits its built-in maximum for %s, which this host refuses: '
            '%s (fix: give %s in ulimit too, within the host\'s hard '
            'limits)' % (name, ' and '.join(missing), text,
                         ' and '.join(missing)))
    return errors.EngineError(
        'container %s: podman cannot give it its resource limits: %s (fix: '
        'set default_ulimits for nofile and nproc in containers.conf within '
        'the host\'s hard limits, see doc/podman.md%s)'
        % (name, text, ', or lower the ulimit values' if given else ''))


# podman's log drivers that honour a log tag (podman-run(1): ``tag`` is a
# journald option; k8s-file, the default where journald does not run,
# fails to start such a container: "write child: broken pipe", 4.3).
TAG_LOG_DRIVERS = ('journald',)


def dialect_problems(specs, log_driver=None):
    """Problems (errors.Problems) of keys that podman would not honour as
    dockerd does, each naming the field and the fix. Pure. ``log_driver``:
    podman's default log driver (``podman info``), when known."""
    problems = errors.Problems()
    for spec in specs:
        if spec.log_tag and log_driver is not None and \
                log_driver not in TAG_LOG_DRIVERS:
            problems.add(
                'config.%s.log_tag' % spec.name,
                'podman honours a log tag only with its journald log '
                'driver, and its log driver here is %s' % log_driver,
                'remove log_tag, set log_driver = "journald" in '
                'containers.conf where journald runs, or use the docker '
                'engine')
    return problems
