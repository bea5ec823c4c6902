"""Typing aliases shared by every layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Array = Any
Namespace = Any
Fwd = Callable[..., tuple[Array, Any]]
Bwd = Callable[[Any, Array], tuple[Array, ...]]

__all__ = ["Array", "Bwd", "Fwd", "Namespace"]
