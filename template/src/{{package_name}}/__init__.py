"""Training, registry, serving and monitoring pipeline of this project (see README.md)."""

__version__ = "0.1.0"
