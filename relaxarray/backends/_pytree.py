"""The classes relaxarray makes JAX pytrees (registered with JAX once it is used)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PYTREE_CLASSES: list[tuple[type, Callable[..., Any], Callable[..., Any]]] = []
