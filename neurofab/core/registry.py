"""A small name → factory registry, used for presets, reproductions, devices and energy tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from neurofab.core.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories (any callable returning a ``T``) with a one-line description each.

    >>> presets = Registry("device preset")
    >>> @presets.register("ideal", "a device with no non-ideality")
    ... def ideal(): ...
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, tuple[Callable[..., T], str]] = {}

    def register(self, name: str, description: str = "") -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: register ``factory`` under ``name``; a second registration of the name is an error."""
        if not name or not isinstance(name, str):
            raise ConfigError(f"{self.kind} name must be a non-empty string, got {name!r}")

        def deco(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._items and self._items[name][0] is not factory:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            doc = description or (factory.__doc__ or "").strip().splitlines()[0:1]
            self._items[name] = (factory, doc if isinstance(doc, str) else (doc[0] if doc else ""))
            return factory

        return deco

    def add(self, name: str, factory: Callable[..., T], description: str = "") -> None:
        """Register without decorator syntax."""
        self.register(name, description)(factory)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``."""
        try:
            return self._items[name][0]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "(none)"
            raise UnknownNameError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def create(self, name: str, *args, **kwargs) -> T:
        """Call the factory registered under ``name``."""
        return self.get(name)(*args, **kwargs)

    def describe(self, name: str) -> str:
        self.get(name)
        return self._items[name][1]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)
