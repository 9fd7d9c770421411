"""The hook executables, one per group, as 55-heat-config calls them:
heat-config item on stdin, one JSON reply on stdout."""

import sys

from heat_container_hooks import hook


def docker_cmd():
    sys.exit(hook.main('docker-cmd'))


def docker_compose():
    sys.exit(hook.main('docker-compose'))


def atomic():
    sys.exit(hook.main('atomic'))


def container():
    sys.exit(hook.main('container'))
