"""The local Keystone's API (wsgiref, threads) on 127.0.0.1.

Run with the Heat virtualenv's Python (keystone from PyPI is installed
there, tests/heat/requirements-heat.txt):

    python keystone_launcher.py --config-file keystone.conf --port PORT

Keystone ships only a WSGI application (keystone.wsgi.api); this serves it
the way launcher.py serves Heat (same binding, exit status 3 when the port
is taken, same stop on SIGTERM or the end of --parent-pid).
"""

import argparse
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import launcher  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument('--config-file', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--stop-timeout', type=float, default=5.0)
    parser.add_argument('--parent-pid', type=int, default=None)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)

    os.environ['OS_KEYSTONE_CONFIG_FILES'] = os.path.abspath(
        args.config_file)
    sys.argv[1:] = []       # keystone parses the command line too
    from keystone.server import wsgi
    app = wsgi.initialize_public_application()
    servers = launcher.bind(args.host, [(args.port, app)])
    launcher.serve(servers, args, lambda: None, 'keystone-local',
                   logging.getLogger('keystone-local'))


if __name__ == '__main__':
    main()
