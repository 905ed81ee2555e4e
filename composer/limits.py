"""The ranges of the generation settings a person chooses: one rule, read by every face.

Why a module of its own: the CLI's option types (``composer/commands/options.py``) and
``GenerationSettings.validate`` (``composer/generate.py``, which the app and live mode go
through) once disagreed: ``--temperature 0.005`` was refused while the app's settings accepted
any temperature above 0. Both now read the numbers here, and this module imports nothing, so the
CLI can use it without loading NumPy.
"""

from __future__ import annotations

# Below 0.01 the logits divided by T overflow to inf (a NaN distribution); sampling still
# guards against that (composer.sampling.MIN_TEMPERATURE), but such a temperature is greedy
# decoding in disguise. Above 100 every event is about equally likely: noise.
TEMPERATURE_RANGE = (0.01, 100.0)


def temperature_problem(value) -> str | None:
    """Why ``value`` is not a temperature, or None when it is one (a finite number in
    :data:`TEMPERATURE_RANGE`)."""
    import math

    low, high = TEMPERATURE_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be a number (got {value!r})"
    if not math.isfinite(value):
        return f"must be a finite number (got {value})"
    if not low <= value <= high:
        return f"must be at least {low:g} and at most {high:g} (got {value:g})"
    return None
