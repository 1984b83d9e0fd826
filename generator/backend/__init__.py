"""The backend layer: the only modules that run git and call copier."""
