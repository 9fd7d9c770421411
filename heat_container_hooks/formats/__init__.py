"""Format readers: one per config format, each turning a deployment's config
into ContainerSpecs (pure, no side effects), reporting every problem."""
