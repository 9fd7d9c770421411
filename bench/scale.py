"""The scale curve of issue 18 (point 2): what our docker-cmd hook, the raw
SDK and paunch take for N = 10, 50, 100 and 200 containers, the goals at
N = 200, and a PNG plot of the curve.

Pure reporting: the figures come from ``run.Results`` (medians of the
repetitions of one process run); nothing here touches an engine.
"""

import json
import sys

SIZES = (10, 50, 100, 200)
KEYS = ('raw', 'ours', 'paunch')
WORKLOADS = (
    ('cold', 'cold apply'),
    ('noop', 'no-op re-apply'),
    ('update', 'UPDATE of one'),
    ('delete_prompt', 'DELETE'),
)
GOAL_N = 200
FLAT_FROM = 50
GOALS = {
    'cold_vs_raw': 1.1,          # ours / raw, at most
    'noop_share': 0.05,          # ours no-op / ours cold, at most
    'noop_vs_paunch': 10.0,      # paunch / ours, at least
    'update_vs_noop': 2.0,       # ours update / ours no-op, at most
    'rss_mb': 100.0,             # peak RSS of our hook process, at most
    'flat': 1.1,                 # per-container cost N=200 / N=50, at most
}


def _fmt(value, unit='s'):
    return 'n/a' if value is None else '%.2f%s' % (value, unit)


def _ratio(a, b):
    return a / b if a is not None and b else None


def _at_most(value, limit):
    return value is not None and value <= limit


def _at_least(value, limit):
    return value is not None and value >= limit


def per_container(results, key, workload, n):
    """Seconds per container of one contender's median at size n."""
    value = results.median(key, workload, n)
    return value / n if value is not None and n else None


def report(results, sizes, reps, keys=KEYS):
    """The table per N and per contender, and the goals at N = GOAL_N.

    Returns {'lines': [str], 'failed': [goal name], 'data': {...}}."""
    med = results.median
    lines = ['Scale curve: median of %d repetition(s), seconds '
             '(per container in brackets)' % reps]
    header = '%-16s %5s ' % ('workload', 'N') + ' '.join(
        '%20s' % k for k in keys) + '  %9s %11s' % ('ours/raw',
                                                    'paunch/ours')
    lines += [header, '-' * len(header)]
    data = {'figures': {}, 'rss_mb': {}, 'touched': {}, 'goals': []}
    for workload, title in WORKLOADS:
        for n in sizes:
            row = {k: med(k, workload, n) for k in keys}
            data['figures']['%s/%d' % (workload, n)] = row
            raw = None if workload == 'noop' else row.get('raw')
            lines.append('%-16s %5d ' % (title, n) + ' '.join(
                '%20s' % ('%s (%s)' % (_fmt(row[k]), _fmt(
                    row[k] / n * 1000 if row[k] is not None else None,
                    'ms')) if row[k] is not None else 'n/a')
                for k in keys) + '  %9s %11s' % (
                _fmt(_ratio(row.get('ours'), raw), 'x'),
                _fmt(_ratio(row.get('paunch'), row.get('ours')), 'x')))
    for n in sizes:
        rss = {k: max(results.rss.get((k, n), [0])) or None for k in keys}
        data['rss_mb'][n] = rss
        lines.append('%-16s %5d ' % ('peak RSS', n) + ' '.join(
            '%20s' % _fmt(rss[k], 'MB') for k in keys))
    for (tool, n, what), counts in sorted(results.touched.items()):
        data['touched']['%s/%s/%d' % (tool, what, n)] = counts
        lines.append('containers touched by %s %s at N=%d: %s' % (
            tool, what, n, ', '.join(map(str, counts))))
    lines.append('notes: raw is timed in-process (no interpreter start), '
                 'creates from %s threads as our engine_workers; its no-op '
                 'is one list query.' % 8)
    failed = []
    lines += ['', 'Goals (N=%d):' % GOAL_N]

    def goal(name, value, ok, text):
        status = 'n/a' if value is None else ('PASS' if ok else 'FAIL')
        if status != 'PASS':
            failed.append(name)
        data['goals'].append({'goal': name, 'value': value,
                              'status': status})
        lines.append('%-4s  %-62s %s' % (status, text, _fmt(value, '')))

    n = GOAL_N
    cold = med('ours', 'cold', n)
    noop = med('ours', 'noop', n)
    value = _ratio(cold, med('raw', 'cold', n))
    goal('scale_cold_vs_raw', value, _at_most(value, GOALS['cold_vs_raw']),
         'cold apply <= %gx the raw SDK (ours/raw)' % GOALS['cold_vs_raw'])
    value = _ratio(noop, cold)
    goal('scale_noop_share', value, _at_most(value, GOALS['noop_share']),
         'no-op <= %d%% of our cold apply (noop/cold)'
         % (GOALS['noop_share'] * 100))
    value = _ratio(med('paunch', 'noop', n), noop)
    goal('scale_noop_vs_paunch', value,
         _at_least(value, GOALS['noop_vs_paunch']),
         'no-op >= %gx faster than paunch (paunch/ours)'
         % GOALS['noop_vs_paunch'])
    counts = results.touched.get(('ours', n, 'update'), [])
    value = max(counts) if counts else None
    goal('scale_update_touches_one', value, value == 1,
         'UPDATE of one touches 1 container (max count)')
    value = _ratio(med('ours', 'update', n), noop)
    goal('scale_update_vs_noop', value,
         _at_most(value, GOALS['update_vs_noop']),
         'UPDATE of one <= %gx our no-op (update/noop)'
         % GOALS['update_vs_noop'])
    value = data['rss_mb'].get(n, {}).get('ours')
    goal('scale_rss', value, value is not None and value <= GOALS['rss_mb'],
         'peak RSS of our hook process <= %d MB, MB' % GOALS['rss_mb'])
    for workload, title in (('cold', 'cold apply'),
                            ('delete_prompt', 'DELETE')):
        value = _ratio(per_container(results, 'ours', workload, n),
                       per_container(results, 'ours', workload, FLAT_FROM))
        goal('scale_flat_%s' % workload, value, _at_most(value, GOALS['flat']),
             '%s: cost per container flat %d->%d (ratio <= %g)'
             % (title, FLAT_FROM, n, GOALS['flat']))
    return {'lines': lines, 'failed': failed, 'data': data}


def plot(results, sizes, path, reps, when, keys=KEYS):
    """Write the scale curve as a PNG: one panel per workload, seconds
    against N for each contender (log-log), plus our peak RSS."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot
    from matplotlib import ticker

    styles = {'raw': ('raw Docker SDK (8 threads)', 'tab:gray', 's'),
              'ours': ('ours: heat-config-docker-cmd', 'tab:blue', 'o'),
              'paunch': ('paunch 7.0.4', 'tab:red', '^')}
    figure, axes = pyplot.subplots(2, 3, figsize=(15, 8.5))
    panels = list(WORKLOADS) + [('per_container', 'cold apply, per '
                                 'container'), ('rss', 'peak RSS')]
    for ax, (workload, title) in zip(axes.flat, panels):
        for key in keys:
            label, color, marker = styles.get(key, (key, None, 'x'))
            if workload == 'rss':
                points = [(n, max(results.rss.get((key, n), [0])))
                          for n in sizes]
            elif workload == 'per_container':
                points = [(n, 1000 * (per_container(results, key, 'cold', n)
                                      or 0)) for n in sizes]
            else:
                points = [(n, results.median(key, workload, n))
                          for n in sizes]
            points = [(n, v) for n, v in points if v]
            if points:
                ax.plot([p[0] for p in points], [p[1] for p in points],
                        marker=marker, color=color, label=label)
        ax.set_title(title)
        ax.set_xscale('log')
        ax.set_xticks(list(sizes))
        ax.set_xticklabels([str(n) for n in sizes])
        ax.set_xlabel('containers (N)')
        if workload == 'rss':
            ax.set_ylabel('MB')
            ax.axhline(GOALS['rss_mb'], color='tab:green', linestyle='--',
                       label='goal (%d MB)' % GOALS['rss_mb'])
        elif workload == 'per_container':
            ax.set_ylabel('ms per container')
        else:
            ax.set_yscale('log')
            ax.set_ylabel('seconds (log)')
        if ax.get_yscale() == 'log':
            ax.yaxis.set_major_locator(ticker.LogLocator(subs=(1, 2, 5)))
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(ticker.FormatStrFormatter('%g'))
            axis.set_minor_formatter(ticker.NullFormatter())
        ax.grid(True, which='both', alpha=0.3)
        ax.legend(fontsize='small')
    figure.suptitle('heat-container-hooks scale curve (issue 18): median '
                    'of %d repetition(s), %s' % (reps, when))
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    pyplot.close(figure)


class _Medians:
    """Results as ``report`` saved them (--json): medians only."""

    def __init__(self, data):
        self.samples, self.rss = {}, {}
        for key, row in data['figures'].items():
            workload, n = key.rsplit('/', 1)
            for tool, value in row.items():
                if value is not None:
                    self.samples[(tool, workload, int(n))] = value
        for n, row in data['rss_mb'].items():
            for tool, value in row.items():
                if value:
                    self.rss[(tool, int(n))] = [value]

    def median(self, tool, workload, n):
        return self.samples.get((tool, workload, n))


def replot(json_path, png_path):
    """Draw the plot again from a --scale --json file."""
    with open(json_path) as handle:
        data = json.load(handle)
    results = _Medians(data)
    sizes = sorted({n for _, _, n in results.samples})
    keys = [k for k in KEYS if any(t == k for t, _, _ in results.samples)]
    plot(results, sizes, png_path, data.get('reps', 1),
         data.get('when', ''), keys=keys)


if __name__ == '__main__':
    # python bench/scale.py FIGURES.json PLOT.png
    replot(sys.argv[1], sys.argv[2])
