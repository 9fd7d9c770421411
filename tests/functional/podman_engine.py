"""Running functional tests on podman (engine = podman) instead of the
Docker engine: a mixin for a FunctionalTest class.

The hook under test starts its own private ``podman system service`` in
every run (nothing is configured but ``engine = podman``); the test reads
podman's state through a service of its own, with the docker SDK, so the
same assertions hold on both engines. podman must be installed and able to
run a container (tools/setup-host: the busybox image in podman's store,
the containers.conf ulimits): otherwise the test FAILS.
"""

import os
import shutil
import subprocess

import docker

from tests.functional import base


def podman(*args, **kwargs):
    return subprocess.run(['podman'] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=300, **kwargs)


def ensure_podman_busybox():
    """The busybox test image in podman's store (copied from Docker's, as
    tools/setup-host does); raises AssertionError when podman cannot have
    it."""
    if shutil.which('podman') is None:
        raise AssertionError('podman is not installed (run tools/setup-host)')
    if podman('image', 'exists', base.BUSYBOX_IMAGE).returncode == 0:
        return
    base.ensure_busybox()
    save = subprocess.Popen(['docker', 'save', base.BUSYBOX_IMAGE],
                            stdout=subprocess.PIPE)
    load = podman('load', '-q', stdin=save.stdout)
    save.wait()
    if load.returncode:
        raise AssertionError('podman load of %s failed: %s'
                             % (base.BUSYBOX_IMAGE, load.stderr.decode()))


class PodmanEngine:
    """Mix in before a FunctionalTest class: its hooks run with engine =
    podman (the container group: with the podman tool) and ``self.client``
    reads podman (its service is stopped after the test's containers are
    removed: cleanups run last-in first-out)."""

    engine = 'podman'

    def engine_client(self):
        ensure_podman_busybox()
        tmp = base.tempdir()
        self.addCleanup(shutil.rmtree, tmp, True)
        socket = os.path.join(tmp, 'podman.sock')
        proc = subprocess.Popen(
            ['podman', 'system', 'service', '--time=0', 'unix://' + socket],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.terminate)
        self.podman_url = 'unix://' + socket
        self.wait_for_socket()
        client = docker.DockerClient(base_url=self.podman_url, timeout=120,
                                     version='1.41')
        self.addCleanup(client.close)
        original = client.api.tag

        def split_tag(image, repository, tag=None, **kwargs):
            # The SDK sends "name:tag" as the repository when no tag is
            # given (dockerd accepts it); podman wants them apart.
            name, sep, last = repository.rpartition(':')
            if tag is None and sep and '/' not in last:
                repository, tag = name, last
            return original(image, repository, tag=tag, **kwargs)
        client.api.tag = split_tag
        return client

    def remove_test_containers(self):
        """Twice: podman refuses to remove a container whose namespaces
        another still uses, so the first pass may leave it."""
        super().remove_test_containers()
        super().remove_test_containers()

    def wait_for_socket(self):
        import time
        path = self.podman_url[len('unix://'):]
        for _ in range(600):
            if os.path.exists(path):
                return
            time.sleep(0.05)
        raise AssertionError('podman system service did not start')

    def write_conf(self, **extra):
        extra.setdefault('engine', 'podman')
        super().write_conf(**extra)
        with open(self.conf_file, 'a') as handle:
            handle.write('[container]\ndefault_tool = podman\n')
