"""The Docker Engine API as every adapter uses it (docker, compose, atomic,
podman): one name for what lives, by job, in engineapi.transport (the
client, the light reader, EngineAccess, engine failures),
engineapi.observe (one-query observe, images, state, removal) and
engineapi.waits (running / healthy / exited waits, execs, settle).

Not an engine: the docker, compose and atomic adapters all use it.
"""

from heat_container_hooks.engineapi import observe as _observe
from heat_container_hooks.engineapi import transport as _transport
from heat_container_hooks.engineapi import waits as _waits

client = _transport.client
engine_errors = _transport.engine_errors
reason = _transport.reason
engine_failure = _transport.engine_failure
ReaderError = _transport.ReaderError
LocalReader = _transport.LocalReader
local_reader = _transport.local_reader
EngineAccess = _transport.EngineAccess

observe = _observe.observe
image_ids = _observe.image_ids
ensure_images = _observe.ensure_images
pull_images = _observe.pull_images
state_of = _observe.state_of
remove = _observe.remove

ContainerFailed = _waits.ContainerFailed
wait_ready = _waits.wait_ready
exec_exit_code = _waits.exec_exit_code
run_exec = _waits.run_exec
wait_exit = _waits.wait_exit
settle = _waits.settle
split_logs = _waits.split_logs
logs_tail = _waits.logs_tail
