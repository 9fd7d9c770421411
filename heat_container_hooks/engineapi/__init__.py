"""The Docker Engine API as every adapter uses it, by job: transport,
observe, waits (heat_container_hooks.dockerapi names them all)."""
