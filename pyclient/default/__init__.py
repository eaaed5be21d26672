"""Default management as Python sees it: cases, porting, where seized collateral came from, and
the loss waterfall."""

from .case import (
    CaseStatus,
    ClientPort,
    ClientStatus,
    DefaultCase,
    Layer,
    LayerUse,
    Origin,
    Waterfall,
)

__all__ = [
    "CaseStatus", "ClientPort", "ClientStatus", "DefaultCase", "Layer", "LayerUse", "Origin",
    "Waterfall",
]  # fmt: skip
