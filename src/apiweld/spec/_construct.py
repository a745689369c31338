"""Fast constructors for the IR's frozen dataclasses, for the loader's hot paths.

A frozen dataclass's own `__init__` stores every field through `object.__setattr__` (its own
`__setattr__` refuses), a slow generic call per field; `Schema` has 46 fields and a large
description makes tens of thousands of them. Measured here (CPython 3.11), `Schema(**fields)`
with three fields given took 5-6x as long as `fast_constructor(Schema)(**fields)`; a loop of
`setattr` over a defaults dict or the slot descriptors gained only ~20%.

The fast constructor fills a twin class with the same slots, whose plain attribute stores the
interpreter specialises, and then makes it the real class by `__class__` assignment, which
CPython allows between classes with identical slot layouts. The result is an ordinary instance:
equal to, hashing like, and as frozen as one built by the class itself; `__post_init__` is not
supported (the IR has none, and `fast_constructor` refuses a class that has one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from apiweld.spec.ir import MediaType, Operation, Property, Response, Schema

__all__ = [
    "fast_constructor",
    "new_media_type",
    "new_operation",
    "new_property",
    "new_response",
    "new_schema",
    "replace_operation",
    "replace_schema",
]

T = TypeVar("T")
_FACTORY = object()  # the default of a field with a default_factory: call it


def fast_constructor(cls: type[T]) -> Callable[..., T]:
    """A function taking the same arguments as `cls(...)` and returning the same instance."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__} is not a frozen dataclass with slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has a __post_init__, which would be skipped")
    slots: tuple[str, ...] = cls.__dict__["__slots__"]
    fields = [f for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    if {f.name for f in fields} != set(slots):
        raise TypeError(f"{cls.__name__} has slots that are not init fields")
    twin = type(f"_{cls.__name__}Draft", (), {"__slots__": slots})
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_twin": twin,
        "_cls": cls,
        "_FACTORY": _FACTORY,
    }
    signature, body = [], []
    for index, field in enumerate(fields):
        value = field.name
        if field.default_factory is not dataclasses.MISSING:
            namespace[f"_factory_{index}"] = field.default_factory
            value = f"_factory_{index}() if {field.name} is _FACTORY else {field.name}"
            signature.append(f"{field.name}=_FACTORY")
        elif field.default is not dataclasses.MISSING:
            namespace[f"_default_{index}"] = field.default
            signature.append(f"{field.name}=_default_{index}")
        else:
            signature.append(field.name)
        body.append(f"    self.{field.name} = {value}")
    source = (
        f"def construct({', '.join(signature)}):\n    self = _new(_twin)\n"
        + "\n".join(body)
        + "\n    self.__class__ = _cls\n    return self\n"
    )
    # Generated from the dataclass's own field names, as `dataclasses` itself does; nothing
    # from a description is ever part of it.
    exec(source, namespace)  # noqa: S102
    construct: Callable[..., T] = namespace["construct"]
    construct.__qualname__ = f"fast_constructor({cls.__name__})"
    return construct


new_schema: Callable[..., Schema] = fast_constructor(Schema)
new_property: Callable[..., Property] = fast_constructor(Property)
new_media_type: Callable[..., MediaType] = fast_constructor(MediaType)
new_response: Callable[..., Response] = fast_constructor(Response)
new_operation: Callable[..., Operation] = fast_constructor(Operation)
_SCHEMA_FIELDS = tuple(f.name for f in dataclasses.fields(Schema))
_OPERATION_FIELDS = tuple(f.name for f in dataclasses.fields(Operation))


def replace_schema(schema: Schema, **changes: Any) -> Schema:
    """`dataclasses.replace` for a schema, without its per-call introspection."""
    fields = {name: getattr(schema, name) for name in _SCHEMA_FIELDS}
    fields.update(changes)
    return new_schema(**fields)


def replace_operation(operation: Operation, **changes: Any) -> Operation:
    """`dataclasses.replace` for an operation, without its per-call introspection."""
    fields = {name: getattr(operation, name) for name in _OPERATION_FIELDS}
    fields.update(changes)
    return new_operation(**fields)
