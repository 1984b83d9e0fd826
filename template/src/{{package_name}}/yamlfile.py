"""YAML as people edit it: a key written twice is an error, not a silent override.

PyYAML keeps the last of two equal keys in a mapping, so a ``max_iter`` added under
``hyperparameters`` next to an existing one quietly replaces it. params.yaml and
contract.yaml are edited by hand and reviewed in pull requests: the duplicate is
refused with its line, as ``yaml.YAMLError``, which their loaders already report.
"""

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping with the same key twice."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """Parse ``text`` like ``yaml.safe_load``, refusing duplicate keys."""
    # A SafeLoader subclass: no arbitrary Python objects, like yaml.safe_load.
    return yaml.load(text, Loader=_UniqueKeyLoader)


def describe(error: yaml.YAMLError) -> str:
    """One line for a parse error: where it is and what is wrong, without the excerpt."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return str(error).replace("\n", " ")
