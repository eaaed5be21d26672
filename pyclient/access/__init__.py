"""Who may take part: the participant register."""

from .registry import AccountType, Kind, Participant, Status

__all__ = ["AccountType", "Kind", "Participant", "Status"]
