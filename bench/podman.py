"""The podman workloads of the bench (``python bench/run.py --podman``):
our docker-cmd hook with ``engine = podman`` against paunch's podman runtime
(``paunch apply --default-runtime podman``), the same workloads as on
Docker (bench/README.md), by default at N = 50.

Contenders:

- ``ours-podman``: ``heat-config-docker-cmd`` with ``engine = podman`` and
  nothing else configured, so each run starts its own private
  ``podman system service`` (a host without ``podman.socket``);
- ``ours-podman-socket``: the same with ``[podman] url`` at a running
  service (a host with ``podman.socket``): what the private service costs;
- ``paunch-podman``: paunch 7.0.4 in its venv; it drives the podman CLI,
  one ``podman`` process per container and action.

Everything runs on podman's default store (podman has no private engine
the way dockerd has a private data root that paunch could also reach);
every contender has its own managed_by label and names, so nobody else's
containers are touched. Called by run.py, which passes itself as ``b``
(its contenders, workloads and helpers are reused, not copied).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time


def start_service(tmp):
    """A podman API service of the bench's own (for looking, and for
    ours-podman-socket); returns (url, process)."""
    socket = os.path.join(tmp, 'podman.sock')
    proc = subprocess.Popen(
        ['podman', 'system', 'service', '--time=0', 'unix://' + socket],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(socket):
            return 'unix://' + socket, proc
        time.sleep(0.05)
    proc.terminate()
    raise RuntimeError('podman system service did not start')


def contenders(b, ctx):
    class OursPodman(b.Ours):
        title = 'ours on podman (private podman service per run)'
        key = 'ours-podman'
        extra_conf = ['engine = podman']

    class OursPodmanSocket(b.Ours):
        title = 'ours on podman ([podman] url: a running service)'
        key = 'ours-podman-socket'
        extra_conf = ['engine = podman', '[podman]', 'url = %s' % ctx.url]
        startup = None

    class PaunchPodman(b.Paunch):
        title = 'paunch %s --default-runtime podman' % b.PAUNCH_VERSION
        key = 'paunch-podman'
        runtime = 'podman'

    return [OursPodman(ctx), OursPodmanSocket(ctx), PaunchPodman(ctx)]


def report(results, sizes):
    """Medians per workload and size, and paunch's time over ours."""
    lines = ['', 'podman %s: medians in seconds (samples)' % _podman_version()]
    keys = ('ours-podman', 'ours-podman-socket', 'paunch-podman')
    for n in sizes:
        lines.append('')
        lines.append('N=%d %-28s %s' % (n, 'workload', '  '.join(
            '%18s' % k for k in keys) + '  paunch/ours'))
        for workload, title in [('cold', 'cold apply'),
                                ('noop', 'no-op re-apply'),
                                ('update', 'UPDATE of one'),
                                ('delete_prompt', 'DELETE (prompt stop)'),
                                ('delete_slow',
                                 'DELETE (PID 1 ignores TERM)')]:
            values = [results.median(k, workload, n) for k in keys]
            ours, paunch = values[0], values[2]
            lines.append('      %-28s %s  %s' % (title, '  '.join(
                '%18s' % ('%.2f' % v if v is not None else '-')
                for v in values),
                '%.2fx' % (paunch / ours) if ours and paunch else '-'))
        touched = {k: results.touched.get((k, n, 'update'))
                   for k in keys}
        lines.append('      containers replaced by UPDATE of one: %s'
                     % touched)
    return '\n'.join(lines)


def _podman_version():
    proc = subprocess.run(['podman', 'version', '--format',
                           '{{.Client.Version}}'], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL)
    return proc.stdout.decode().strip() or '?'


def run(args, b):
    """The podman workloads, args.reps times; prints the figures."""
    sizes = [int(s) for s in args.sizes_podman.split(',')]
    tmp = tempfile.mkdtemp(prefix='hchb-podman-')
    url, service = start_service(tmp)
    try:
        ctx = b.Context(url, tmp, b.upstream.cache_dir())
        engine = b.Engine(url)
        tools = contenders(b, ctx)
        results = b.Results()
        for tool in tools:         # warm-up
            if tool.startup is not None:
                tool.startup()
        for rep in range(args.reps):
            for n in sizes:
                for tool in tools:
                    b.log('podman rep %d/%d, N=%d: %s'
                          % (rep + 1, args.reps, n, tool.title))
                    b.bench_size(tool, n, engine, results, args.grace, ctx)
        text = report(results, sizes)
        print(text)
        if args.json:
            with open(args.json, 'w') as handle:
                b.json.dump({'%s %s %d' % key: value for key, value in
                             results.samples.items()}, handle, indent=1,
                            sort_keys=True)
        return 0
    finally:
        service.terminate()
        service.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit('run it through bench/run.py --podman')
