"""Where a JSON tree can be changed: for the fuzz tests that mutate definitions."""

from __future__ import annotations

from typing import Any


def places(tree: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in ``tree``, containers nested in containers included."""
    found: list[tuple[Any, Any]] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found += [(node, k) for k in node]
            stack += node.values()
        elif isinstance(node, list):
            found += [(node, i) for i in range(len(node))]
            stack += node
    return found
