"""The parts a model spec is made of: channels, drivers, indicators and scenarios."""

from __future__ import annotations

from dataclasses import dataclass, field

from hedgecast.inputs.provenance import Provenance


@dataclass(frozen=True)
class Channel:
    """A latent dimension of the relationship, scaled by its anchor indicator."""

    name: str
    anchor: str
    label: str = ""
    description: str = ""


@dataclass(frozen=True)
class Driver:
    """An exogenous force named by the papers."""

    name: str
    kind: str
    label: str = ""
    range: tuple[float, float] = (-1.0, 1.0)
    future_sd: float = 0.05
    states: tuple[str, ...] = ()
    reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class Indicator:
    """An observed series measuring one channel."""

    name: str
    channel: str
    label: str = ""
    transform: str = "identity"
    sign: int = 1
    #: the indicator's own unit, as the trajectory rules read it (``USD bn``, ``thousand visitors`` …)
    unit: str = ""
    #: whether trajectory rules may use it (false for a series whose source has ended)
    in_rules: bool = True


@dataclass(frozen=True)
class DriverIntervention:
    """Set a driver's future level.

    From ``from_year`` it moves (over ``ramp`` years) to a level drawn from
    Normal(``to``, ``sd``), then drifts as usual.
    """

    driver: str
    from_year: int
    to: float
    sd: float = 0.0
    ramp: int = 1


@dataclass(frozen=True)
class WarIntervention:
    """Pin the war state in given years, hold one state until a year, or fix the chain.

    ``transition`` maps a from-state to its full row of next-year probabilities over
    ``ModelSpec.future_war_states`` (in that order; each row sums to 1). Rows given
    here replace the lens's ``war_transition`` prior for those from-states in this
    scenario; the other rows keep the lens prior. Empty = the lens's chain throughout.
    """

    pin: dict[int, str] = field(default_factory=dict)
    hold_state: str = ""
    hold_until: int = 0
    transition: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    """An intervention on future drivers (possibly composed, possibly uncertain)."""

    name: str
    label: str = ""
    description: str = ""
    includes: tuple[str, ...] = ()
    probability: float | str | None = None
    war: WarIntervention = field(default_factory=WarIntervention)
    drivers: dict[str, DriverIntervention] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
