"""heat-container-agent: collect, run, signal, record; once
(``--one-time``) or as a service polling every ``polling_interval``."""

import argparse
import concurrent.futures
import glob
import json
import os
import signal
import sys
import threading

from oslo_log import log as logging

from heat_container_hooks.agent import collectors as collectors_mod
from heat_container_hooks.agent import opts as opts_mod
from heat_container_hooks.agent import runner
from heat_container_hooks.agent import signalling
from heat_container_hooks.agent import state as state_mod
from heat_container_hooks import conf as conf_mod
from heat_container_hooks import groups

LOG = logging.getLogger(__name__)


class CollectError(Exception):
    def __init__(self, message, usable=()):
        super().__init__(message)
        self.usable = list(usable)


def heat_client(conf):
    """python-heatclient for collecting (and deployments-api signals), or
    None when no Heat is configured.

    With [agent] auth_type set, keystoneauth1 loads that auth plugin and a
    session (TLS options included) from [agent], and the endpoint comes
    from the catalog (heat_url overrides it). Without auth_type, heat_url
    and heat_token reach Heat with no Keystone (the local noauth Heat).
    """
    opts_mod.register_keystone_opts(conf)
    agent = conf.agent
    if not (agent.heat_url or agent.auth_type):
        return None
    from heatclient import client
    if not agent.auth_type:
        return client.Client('1', endpoint=agent.heat_url,
                             token=agent.heat_token or 'noauth',
                             insecure=agent.insecure, ca_file=agent.cafile,
                             cert_file=agent.certfile,
                             key_file=agent.keyfile)
    from keystoneauth1 import loading as ks_loading
    auth = ks_loading.load_auth_from_conf_options(conf, opts_mod.GROUP)
    sess = ks_loading.load_session_from_conf_options(conf, opts_mod.GROUP,
                                                     auth=auth)
    kwargs = {'session': sess, 'service_type': 'orchestration',
              'interface': agent.interface, 'region_name': agent.region_name}
    if agent.heat_url:
        kwargs['endpoint_override'] = agent.heat_url
    return client.Client('1', **kwargs)


def _items_of(data, where):
    if isinstance(data, dict):
        data = data.get('deployments')
    if not isinstance(data, list):
        raise CollectError('%s holds no list of deployments (fix: a JSON '
                           'list of heat-config items, or {"deployments": '
                           '[...]})' % where)
    bad = [n for n, i in enumerate(data)
           if not isinstance(i, dict) or not i.get('id')]
    if bad:
        # The others still run; the collection is incomplete (no cleanup).
        raise CollectError('%s: item(s) %s have no id (fix: each item is a '
                           'heat-config object with "id", "group", ...)'
                           % (where, ', '.join(map(str, bad))),
                           [i for n, i in enumerate(data) if n not in bad])
    return data


def read_local(path):
    files = sorted(glob.glob(os.path.join(path, '*.json'))) \
        if os.path.isdir(path) else [path]
    items, errors = [], []
    for name in files:
        try:
            with open(name, encoding='utf-8') as handle:
                items.extend(_items_of(json.load(handle), name))
        except (OSError, ValueError) as exc:
            errors.append('cannot read %s: %s' % (name, exc))
        except CollectError as exc:
            errors.append(str(exc))
            items.extend(exc.usable)
    if errors:
        raise CollectError('; '.join(errors), items)
    return items


def collect(conf, heat, collection=None):
    """(items sorted by name as Heat sorts them, complete?): from
    [agent] local_path, the os-collect-config collectors of
    ``collection`` (a collectors.Collection) and Heat's deployments API
    for [agent] server_id."""
    found, complete = [], True
    for path in conf.agent.local_path:
        try:
            found.extend(read_local(path))
        except CollectError as exc:
            LOG.error('%s', exc)
            found.extend(exc.usable)
            complete = False
    for name in collection.names if collection else ():
        problem = None
        try:
            found.extend(_items_of(collection.items(name),
                                   'collector %s' % name))
        except collectors_mod.CollectorError as exc:
            problem = str(exc)
        except CollectError as exc:
            problem = str(exc)
            found.extend(exc.usable)
        if problem:
            LOG.error('%s', problem)
            complete = False
    if heat is not None and conf.agent.server_id:
        try:
            data = heat.software_deployments.metadata(conf.agent.server_id)
            found.extend(_items_of(data, 'Heat\'s metadata of server %s'
                                   % conf.agent.server_id))
        except CollectError as exc:
            LOG.error('%s', exc)
            found.extend(exc.usable)
            complete = False
        except Exception as exc:  # keep serving the local items
            LOG.error('cannot collect deployments of server %s from Heat: '
                      '%s: %s', conf.agent.server_id, type(exc).__name__, exc)
            complete = False
    unique = {}
    for item in found:
        unique.setdefault(item['id'], item)
    return sorted(unique.values(), key=lambda i: str(i.get('name'))), \
        complete


def schedule(items):
    """Lists that may run at the same time: one per group, each in name
    order."""
    lanes = {}
    for item in items:
        lanes.setdefault(item.get('group'), []).append(item)
    return list(lanes.values())


class Agent:

    def __init__(self, conf, heat=None, signaller=None, collection=None):
        self.conf = conf
        self.heat = heat
        self.collection = collection
        self.state = state_mod.State(conf.agent.state_dir)
        self.signaller = signaller or signalling.Signaller(conf, heat)

    def cycle(self):
        """One collection and everything it brings; True when nothing is
        left to do (all collected, run and signalled)."""
        items, complete = collect(self.conf, self.heat, self.collection)
        if complete and self.conf.agent.cleanup:
            self.cleanup(items)
        todo = []
        for item in items:
            if self.state.done(item['id']):
                continue
            resolved = runner.resolve_component(item)
            if resolved is None:
                LOG.warning('skipped component %s: no config for its '
                            'action', item.get('name'))
                continue
            todo.append(resolved)
        if not todo:
            return complete
        lanes = schedule(todo)
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=min(self.conf.agent.workers, len(lanes))) as pool:
            results = list(pool.map(self.run_lane, lanes))
        return complete and all(results)

    def cleanup(self, items):
        for name in groups.available():
            try:
                for line in groups.get(name).cleanup(items, self.conf):
                    LOG.info('cleanup %s: %s', name, line)
            except Exception as exc:  # report, never stop deployments
                LOG.error('cleanup of %s failed: %s: %s', name,
                          type(exc).__name__, exc)

    def run_lane(self, items):
        ok = True
        for item in items:
            try:
                ok = self.deploy(item) and ok
            except Exception as exc:  # one item never stops the others
                LOG.exception('deployment %s: %s', item.get('name'), exc)
                ok = False
        return ok

    def deploy(self, item):
        """Run (unless a finished reply is waiting) and signal one item;
        True when it is recorded as done."""
        config_id = item['id']
        reply = self.state.reply(config_id)
        if reply is None:
            LOG.info('deploying %s (group %s, config %s)', item.get('name'),
                     item.get('group'), config_id)
            reply, how = runner.run(item, self.conf)
            LOG.info('deployment %s finished (%s): deploy_status_code %s',
                     item.get('name'), how, reply.get('deploy_status_code'))
            self.state.save_reply(config_id, reply)
        else:
            LOG.info('deployment %s finished before; signalling it',
                     item.get('name'))
        record = {'name': item.get('name'), 'group': item.get('group'),
                  'deploy_status_code': reply.get('deploy_status_code')}
        try:
            record['signal'] = self.signaller.send(item, reply)
        except signalling.PermanentSignalError as exc:
            LOG.error('signal of %s refused: %s', item.get('name'), exc)
            record['signal_error'] = str(exc)
        except signalling.SignalError as exc:
            LOG.error('signal of %s not sent, retried next cycle: %s',
                      item.get('name'), exc)
            return False
        LOG.info('deployment %s done: %s', item.get('name'),
                 record.get('signal') or record.get('signal_error'))
        self.state.mark_done(config_id, record)
        return 'signal' in record


def build_parser():
    parser = argparse.ArgumentParser(
        prog='heat-container-agent', description='Collect software '
        'deployments, run them through their hooks and signal Heat. Other '
        'arguments (--config-file, --config-dir) go to oslo.config; '
        'options are in the [agent] group.')
    parser.add_argument('--one-time', action='store_true',
                        help='one collection, then exit (0 when everything '
                        'was collected, run and signalled)')
    parser.add_argument('--local-path', action='append',
                        help='heat-config file or directory (repeatable; '
                        'overrides [agent] local_path)')
    return parser


def stoppable_sleep(stop):
    """A sleep for the signal retry backoff that SIGTERM/SIGINT cut short:
    the signal counts as not sent (it is retried on the next start, the
    reply is kept), so the agent exits at once instead of after up to
    signal_retries x signal_backoff_max seconds."""
    def sleep(seconds):
        if stop.wait(seconds):
            raise signalling.SignalError('the agent is stopping')
    return sleep


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args, rest = build_parser().parse_known_args(argv)
    conf = conf_mod.setup(rest)
    if args.local_path:
        conf.set_override('local_path', args.local_path, group='agent')
    stop = threading.Event()
    heat = heat_client(conf)
    collection = None
    if conf.agent.collectors:
        try:
            collection = collectors_mod.Collection(conf,
                                                   conf.agent.collectors)
        except collectors_mod.CollectorError as exc:
            LOG.error('%s', exc)
            return 2
    agent = Agent(conf, heat, signalling.Signaller(
        conf, heat, sleep=stoppable_sleep(stop)), collection)
    if args.one_time:
        return 0 if agent.cycle() else 1
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    LOG.info('heat-container-agent polling every %gs',
             conf.agent.polling_interval)
    while not stop.is_set():
        try:
            agent.cycle()
        except Exception as exc:  # the service keeps going
            LOG.exception('cycle failed: %s', exc)
        stop.wait(conf.agent.polling_interval)
    return 0


def console_main():
    sys.exit(main())
