"""heat-container-agent: collects a server's software deployments (from
Heat or from local files), runs each new one through its hook (ours
in-process), and signals the result to Heat by the deployment's own
transport. See doc/agent.md."""
