"""One-process local Heat: API (wsgiref, threads) and one engine.

Run with the Heat virtualenv's Python (tests/heat/venv.py), never the
project's: it relies on the internals of the pinned openstack-heat.

    python launcher.py --config-file heat.conf --port PORT [--cfn-port PORT]

Heat 25+ ships no heat-all/heat-api, and heat-engine forks a worker that the
in-memory `fake://` transport cannot reach from a separate API process, so
both run here, in one process; with --cfn-port, heat-api-cfn (CloudFormation
metadata, pre-signed CFN_SIGNAL URLs) is served on a second port. The sockets
are bound before the engine starts (a taken port fails at once, exit status
3). SIGTERM/SIGINT, or the end of
--parent-pid, stop the engine within --stop-timeout seconds, then the
process leaves with os._exit.
"""

import argparse
import os
import signal
import socketserver
import sys
import threading
import time
from wsgiref import simple_server

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_PORT_TAKEN = 3


class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class Handler(simple_server.WSGIRequestHandler):
    def log_message(self, fmt, *args):
        sys.stderr.write('api %s\n' % (fmt % args))

    def address_string(self):
        return self.client_address[0]


def parse_args(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--cfn-port', type=int, default=None,
                        help='also serve heat-api-cfn on this port')
    parser.add_argument('--stop-timeout', type=float, default=10.0)
    parser.add_argument('--parent-pid', type=int, default=None,
                        help='stop when this process is gone (the test '
                             'run was killed)')
    parser.add_argument('--no-stored-context-patch', action='store_true',
                        help='keep Heat\'s StoredContext (HEAT_SIGNAL then '
                             'needs Keystone)')
    return parser.parse_args(argv)


def sqlite_begin_immediate(engine):
    """oslo.db emits a plain BEGIN: with Heat's real threads SQLite then
    answers "database is locked" at once on write upgrades. Take the write
    lock at BEGIN instead, and let the URL's ?timeout= do the waiting."""
    import sqlalchemy
    if engine.dialect.name != 'sqlite':
        return
    for listener in list(engine.dispatch.begin):
        if getattr(listener, '__name__', '') == '_sqlite_emit_begin':
            sqlalchemy.event.remove(engine, 'begin', listener)

    @sqlalchemy.event.listens_for(engine, 'begin')
    def _begin_immediate(conn):
        if 'in_transaction' not in conn.info:
            conn.exec_driver_sql('BEGIN IMMEDIATE')
            conn.info['in_transaction'] = True


def patch_stored_context():
    """Without Keystone, a stored context (signals, deferred auth) cannot
    look up its roles and domains: fill them in locally."""
    from heat.common import context

    def _load_keystone_data(self):
        self._keystone_loaded = True
        self.roles = ['admin', 'member', 'reader']
        self.user_domain_id = 'default'
        self.project_domain_id = 'default'

    context.StoredContext._load_keystone_data = _load_keystone_data


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sys.path.insert(0, HERE)   # heat_local_paste, named in api-paste.ini

    from oslo_service import backend
    backend.init_backend(backend.BackendType.THREADING)

    from oslo_config import cfg
    from oslo_log import log as logging

    from heat.common import config
    from heat.common import messaging
    from heat import version

    conf = cfg.CONF
    logging.register_options(conf)
    conf(['--config-file', args.config_file], project='heat',
         prog='heat-api', version=version.version_info.version_string())
    logging.setup(conf, 'heat')
    log = logging.getLogger('heat-local')
    messaging.setup()

    from heat.engine import service as engine_service
    from heat.rpc import api as rpc_api
    config.startup_sanity_check()

    from heat.db import api as db_api
    sqlite_begin_immediate(db_api.get_engine())
    if not args.no_stored_context_patch:
        patch_stored_context()

    apps = [(args.port, config.load_paste_app('heat-api'))]
    if args.cfn_port:
        apps.append((args.cfn_port, config.load_paste_app('heat-api-cfn')))
    servers = bind(args.host, apps)

    engine = engine_service.EngineService(conf.host, rpc_api.ENGINE_TOPIC)
    engine.start()
    log.info('heat-local: API on http://%s:%d/ (pid %d)',
             args.host, args.port, os.getpid())
    serve(servers, args, engine.stop, 'heat-local', log)


def bind(host, apps):
    """[(port, wsgi app)] -> bound servers; exit EXIT_PORT_TAKEN when a
    port is taken (the caller picks another)."""
    servers = []
    for port, app in apps:
        try:
            servers.append(simple_server.make_server(
                host, port, app, server_class=Server,
                handler_class=Handler))
        except OSError as exc:
            sys.stderr.write('cannot bind %s:%d: %s\n' % (host, port, exc))
            sys.stderr.flush()
            os._exit(EXIT_PORT_TAKEN)
    return servers


def serve(servers, args, stop, name, log):
    """Serve until SIGTERM/SIGINT or the end of --parent-pid, then run
    stop() for at most --stop-timeout seconds and leave with os._exit."""
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    for server in servers:
        threading.Thread(target=server.serve_forever,
                         kwargs={'poll_interval': 0.2}, daemon=True).start()
    sys.stderr.write('%s: ready on %s\n' % (name, ', '.join(
        'http://%s:%d/' % server.server_address[:2] for server in servers)))
    sys.stderr.flush()

    while not stopping.wait(0.5):
        if args.parent_pid and os.getppid() != args.parent_pid:
            log.warning('%s: parent %d is gone', name, args.parent_pid)
            break

    log.info('%s: stopping', name)
    for server in servers:
        server.shutdown()
    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    stopper.join(args.stop_timeout)
    if stopper.is_alive():
        log.warning('%s: still busy after %.0fs, leaving', name,
                    args.stop_timeout)
    sys.stderr.write('%s: stopped at %s\n' % (name, time.ctime()))
    sys.stderr.flush()
    os._exit(0)


if __name__ == '__main__':
    main()
