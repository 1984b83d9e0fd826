"""Tests of the forgeml tool itself, on a tiny fixture template: the fast loop."""
