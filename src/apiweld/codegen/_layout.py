"""How model classes are split into modules.

One module per strongly connected component of the "refers to" graph: mutually recursive models
share a module (forward references resolve inside it), and every other reference is an import of
an earlier module, so imports form a DAG and importing one model loads only what it needs. That is
what keeps `import` and the first call fast on APIs with thousands of schemas.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._names import file_stem, snake_case, unique
from ._types import ClassDef, ModelDef


def model_modules(classes: Mapping[str, ClassDef]) -> list[tuple[str, list[str]]]:
    """(module name, class names) in dependency order; deterministic for the same classes."""
    graph = {
        name: sorted(r for r in item.refs if r in classes) if isinstance(item, ModelDef) else []
        for name, item in classes.items()
    }
    taken: set[str] = {"__init__"}
    modules: list[tuple[str, list[str]]] = []
    for component in _strongly_connected(graph):
        members = sorted(component)
        module = unique(file_stem(snake_case(members[0], "model")), taken)
        modules.append((module, members))
    return modules


def _strongly_connected(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm without recursion (reference chains can be thousands deep).

    Components come out dependencies first, which is the order modules may import each other.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            children = graph[node]
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components
