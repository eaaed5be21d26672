"""Default management as Python sees it: cases, where seized collateral came from."""

from .case import CaseStatus, DefaultCase, Origin

__all__ = ["CaseStatus", "DefaultCase", "Origin"]
