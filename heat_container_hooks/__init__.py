"""Heat software-deployment hooks that deploy services as containers."""
