"""Hostile inputs shared by the tests of forgeml's refusals."""

from __future__ import annotations


def alias_bomb(prefix: str = "") -> list[str]:
    """A "billion laughs": nine levels of nine aliases each, 9^9 strings once expanded."""
    lines = [f'{prefix}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for n in range(1, 9):
        aliases = ",".join([f"*{chr(96 + n)}"] * 9)
        lines.append(f"{prefix}{chr(97 + n)}: &{chr(97 + n)} [{aliases}]")
    return lines
