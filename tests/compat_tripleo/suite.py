"""One release's whole run: every step of every service through both
tools (services in parallel, a service's steps in order), compared, and
counted."""

import collections
import concurrent.futures
import json
import os
import uuid

from tests.compat_tripleo import compare
from tests.compat_tripleo import harness
from tests.compat_tripleo import sources
from tests.compat_tripleo import stub_image
from tests.compat_tripleo import tht

WORKERS = int(os.environ.get('HCH_COMPAT_WORKERS', '12'))

StepResult = collections.namedtuple(
    'StepResult', 'service step verdict diffs decisions hook paunch')
MATCH, DECIDED, FAIL = 'matched', 'differs by decision', 'failing'


def all_settings(services):
    for service in services:
        for config in service.steps.values():
            for settings in config.values():
                yield settings


def run_release(release, workdir, only=None):
    """(results, unresolved) for ``release``; ``only`` limits the services
    (names) for a quick look."""
    services, unresolved = tht.services(sources.tht_dir(release))
    if only:
        services = [s for s in services if s.name in only]
    return run_services(release, services, workdir), unresolved


def run_services(label, services, workdir):
    """Run every step of ``services`` (tht.Services) through both tools
    and compare them: a StepResult per step, in service order."""
    image = stub_image.build(all_settings(services))
    _, daemons, _ = stub_image.contents(all_settings(services))
    sandbox = harness.Sandbox(daemons)
    hook = harness.Runner('hook', os.path.join(workdir, 'hook'))
    paunch = harness.Runner('paunch', os.path.join(workdir, 'paunch'))
    run_id = uuid.uuid4().hex[:4]
    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            jobs = []
            for index, service in enumerate(services):
                jobs.append(pool.submit(_service, label, index, service,
                                        image, sandbox, hook, paunch,
                                        run_id))
            for job in jobs:
                results.extend(job.result())
    finally:
        sandbox.close()
    return results


def _service(release, index, service, image, sandbox, hook, paunch, run_id):
    """Run one service's steps through both tools and compare them. A
    service whose only failures are output lines that one tool lost is
    run once more: the engine can drop the output of a short-lived exec
    under load (moby/moby#27289, docker/docker-py#2042), for paunch's
    docker CLI and for the hook alike; a loss that repeats still fails."""
    results = _service_once(release, index, service, image, sandbox, hook,
                            paunch, run_id)
    if any(r.verdict == FAIL for r in results) and all(
            _only_lost_output(r) for r in results if r.verdict == FAIL):
        results = _service_once(release, index, service, image, sandbox,
                                hook, paunch, run_id + 'r')
    return results


def _only_lost_output(result):
    """Whether every failing difference of a step is output lines that
    one tool printed and the other lost (the hook's masked secrets
    allowed for)."""
    failing = [d for d in result.diffs if d[3] is None]
    return all(d[0] == 'output' and (
        all(any(compare.same_line(o, t) for t in d[2]) for o in d[1])
        or all(any(compare.same_line(o, t) for o in d[1]) for t in d[2]))
        for d in failing)


def _service_once(release, index, service, image, sandbox, hook, paunch,
                  run_id):
    prefixes = {tool: 'h14%s%s%d-' % (run_id, tool[0], index)
                for tool in ('hook', 'paunch')}
    stack = 'compat-%s-%d/%s' % (release, index, run_id)
    ordered = [s for s in tht.STEPS if s in service.steps]
    runs = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            jobs = {}
            for tool, runner in (('hook', hook), ('paunch', paunch)):
                steps = [(step, harness.prepare(service.steps[step],
                                                prefixes[tool], image,
                                                sandbox))
                         for step in ordered]
                jobs[tool] = pool.submit(runner.run_steps, steps,
                                         prefixes[tool], stack)
            runs = {tool: job.result() for tool, job in jobs.items()}
    finally:
        if not os.environ.get('HCH_COMPAT_KEEP'):
            hook.remove(prefixes['hook'])
            paunch.remove(prefixes['paunch'])
    results = []
    for ours, theirs in zip(runs['hook'], runs['paunch']):
        results.append(_compare_step(service, ours, theirs, prefixes))
    return results


def _compare_step(service, ours, theirs, prefixes):
    diffs = []
    if bool(ours.code) != bool(theirs.code):
        diffs.append(('status', ours.code, theirs.code, None))
    if ours.output != theirs.output:
        decision = compare.explain_output(ours.output, theirs.output)
        if decision is None and ours.code and theirs.code and \
                set(ours.output) < set(theirs.output):
            decision = 'stop_at_first_failure'
        diffs.append(('output', ours.output, theirs.output, decision))
    config = service.steps[ours.step]
    for name in sorted(ours.containers):
        settings = config.get(name) or {}
        oneshot = settings.get('detach', True) in (False, 'false')
        mine = compare.normalise(ours.containers[name], prefixes['hook'])
        other = compare.normalise(theirs.containers.get(name),
                                  prefixes['paunch'])
        for diff in compare.compare_container(mine, other, oneshot):
            if diff[0] == 'exists' and ours.code and theirs.code and \
                    mine is None:
                diff = diff[:3] + ('failed_start_removed',)
            elif diff[0] == 'exists' and theirs.code and not ours.code:
                diff = diff[:3] + (compare.explain_paunch_failure(
                    theirs.detail, settings),)
            diffs.append(('%s: %s' % (name, diff[0]),) + diff[1:])
    if any(d[3] == 'empty_env_value' for d in diffs):
        # What the one-shot printed differs because of its environment.
        diffs = [d[:3] + ('empty_env_value',)
                 if d[0] == 'output' and d[3] is None else d for d in diffs]
    failing = [d for d in diffs if d[3] is None]
    if diffs and diffs[0][0] == 'status' and failing[1:] == [] and \
            any(d[3] for d in diffs[1:]):
        # paunch failed the step for a reason a decision explains.
        diffs[0] = diffs[0][:3] + (next(d[3] for d in diffs[1:] if d[3]),)
        failing = []
    decisions = sorted({d[3] for d in diffs if d[3]})
    verdict = FAIL if failing else DECIDED if decisions else MATCH
    return StepResult(service.name, ours.step, verdict, diffs, decisions,
                      ours, theirs)


def dump(results, path):
    """Every step's result as JSON, for a closer look."""
    with open(path, 'w') as handle:
        json.dump([{'service': r.service, 'step': r.step,
                    'verdict': r.verdict, 'decisions': r.decisions,
                    'diffs': r.diffs, 'hook': r.hook.detail,
                    'paunch': r.paunch.detail} for r in results],
                  handle, indent=1, default=str)


def report(results):
    """A text report: counts, then every failing step with its diffs."""
    counts = collections.Counter(r.verdict for r in results)
    lines = ['%d steps: %d matched, %d differ by decision, %d failing'
             % (len(results), counts[MATCH], counts[DECIDED], counts[FAIL])]
    for result in results:
        if result.verdict != FAIL:
            continue
        lines.append('- %s %s' % (result.service, result.step))
        for field, mine, other, decision in result.diffs:
            if decision:
                continue
            lines.append('    %s: hook=%s paunch=%s'
                         % (field, _short(mine), _short(other)))
        if result.hook.code:
            lines.append('    hook error: %s' % _short(result.hook.detail))
        if result.paunch.code:
            lines.append('    paunch error: %s'
                         % _short(result.paunch.detail))
    return '\n'.join(lines)


def _short(value, limit=600):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + '...'
