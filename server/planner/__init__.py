"""Breakout-rotation planner: rooms for several rotations with as few repeated pairs as
possible, under keep-apart / keep-together constraints (pure standard library)."""

from . import engine
from .engine import plan
from .model import (
    DEFAULT_LEFTOVER,
    LEFTOVER_RULES,
    Plan,
    PlanError,
    PlanRequest,
    PlanStats,
    room_sizes,
)
from .stats import evaluate, lower_bound

__all__ = [
    "DEFAULT_LEFTOVER",
    "LEFTOVER_RULES",
    "Plan",
    "PlanError",
    "PlanRequest",
    "PlanStats",
    "engine",
    "evaluate",
    "lower_bound",
    "plan",
    "room_sizes",
]
