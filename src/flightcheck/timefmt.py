"""Durations and ages in the words a person reads."""

from __future__ import annotations

_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def words(seconds: float) -> str:
    """``2 minutes``, ``1 hour``, ``3 days``: the largest whole unit."""
    seconds = max(0.0, seconds)
    for unit, size in _UNITS:
        if seconds >= size or unit == "second":
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def brief(seconds: float) -> str:
    """``45s``, ``12m``, ``3h``, ``2d``: the largest whole unit, abbreviated."""
    text = words(seconds)
    count, unit = text.split()
    return f"{count}{unit[0]}"


def clock(seconds: float) -> str:
    """``0.4s``, ``12.3s``, ``9m 41s``, ``1h 02m``: an elapsed time."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"
