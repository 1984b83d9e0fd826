"""Template sources and releases: which template to render, the release cache, release tags."""
