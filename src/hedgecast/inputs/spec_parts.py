"""The parts a model spec is made of: channels, drivers, indicators and scenarios."""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass, field

from hedgecast.inputs.provenance import Provenance


@dataclass(frozen=True)
class Part:
    """What every named part of a spec has: its key in the spec file and a display label (keyword only)."""

    name: str
    _: KW_ONLY
    label: str = ""


@dataclass(frozen=True)
class Channel(Part):
    """A latent dimension of the relationship, scaled by its anchor indicator."""

    anchor: str
    description: str = ""


@dataclass(frozen=True)
class Driver(Part):
    """An exogenous force named by the papers."""

    kind: str
    range: tuple[float, float] = (-1.0, 1.0)
    future_sd: float = 0.05
    states: tuple[str, ...] = ()
    reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class Indicator(Part):
    """An observed series measuring one channel."""

    channel: str
    transform: str = "identity"
    sign: int = 1
    #: the indicator's own unit, as the trajectory rules read it (``USD bn``, ``thousand visitors`` …)
    unit: str = ""
    #: whether trajectory rules may use it (false for a series whose source has ended)
    in_rules: bool = True


#: the words a driver intervention's ``direction`` may use: up (+1) or down (−1) on the driver's
#: scale ("tighten" = "raise" = up, "ease" = "lower" = down; a driver's description says what
#: up means for it where the word could be read both ways)
DIRECTIONS: dict[str, int] = {"tighten": 1, "raise": 1, "ease": -1, "lower": -1}

#: the three ways a driver intervention says where the driver goes
INTERVENTION_KINDS = ("to", "by", "factor")


@dataclass(frozen=True)
class DriverIntervention:
    """Move a driver's future path, from ``from_year`` on, over ``ramp`` years.

    Exactly one of three kinds:

    * ``to`` — an absolute target: the path's centre moves from the last coded value to a
      level drawn from Normal(``to``, ``sd``) and drifts around it as usual;
    * ``by`` — a change relative to where that path's driver would otherwise be in each
      year: the path moves by a change drawn from Normal(``by``, ``sd``);
    * ``factor`` — a relative, multiplicative change: the path is multiplied by a factor
      drawn from Normal(``factor``, ``sd``).

    During the ramp the move grows linearly (a third of it in the first of three years).
    ``direction`` (``tighten``/``raise`` = up, ``ease``/``lower`` = down) states the intent,
    so that ``hedgecast check`` can warn when an absolute target does the opposite.
    """

    driver: str
    from_year: int
    to: float | None = None
    sd: float = 0.0
    ramp: int = 1
    by: float | None = None
    factor: float | None = None
    direction: str = ""

    @property
    def kind(self) -> str:
        """``"to"``, ``"by"`` or ``"factor"``."""
        return "by" if self.by is not None else "factor" if self.factor is not None else "to"

    @property
    def amount(self) -> float:
        """The value of ``to``, ``by`` or ``factor``, whichever this intervention uses."""
        value = {"to": self.to, "by": self.by, "factor": self.factor}[self.kind]
        return 0.0 if value is None else float(value)

    @property
    def declared_sign(self) -> int:
        """+1 for tighten/raise, −1 for ease/lower, 0 when no direction is declared."""
        return DIRECTIONS.get(self.direction, 0)

    def sign(self, driver_range: tuple[float, float] = (0.0, 1.0)) -> int:
        """Which way the intervention moves the driver: +1 up, −1 down, 0 unknown without data.

        The declared direction when there is one; otherwise the sign of ``by``, or of
        ``factor − 1`` on a driver that cannot be negative. An absolute target's side
        depends on the driver's current value, which the spec does not hold.
        """
        if self.declared_sign:
            return self.declared_sign
        if self.kind == "by":
            return (self.amount > 0) - (self.amount < 0)
        if self.kind == "factor" and driver_range[0] >= 0:
            return (self.amount > 1) - (self.amount < 1)
        return 0


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


#: what a trigger (``when = {…}``) may test, in the year before the intervention switches on
TRIGGER_KEYS = ("war_state", "driver", "below", "above", "incident", "rupture_event", "year")

#: crisis-model targets: scaled by a ``factor`` (``incident_rate``, ``escalation``) or pinned in a ``year``
CRISIS_FACTORS = ("incident_rate", "escalation")
CRISIS_PINS = ("incident", "rupture_event")


@dataclass(frozen=True)
class Trigger:
    """A condition on the simulated path, read in year t−1; every condition given must hold together.

    * ``war_state``: the war is in one of these states;
    * ``driver`` with ``below`` or ``above``: the driver's simulated value is below / above the level;
    * ``incident``: at least one serious incident happened;
    * ``rupture_event``: at least one incident escalated to a rupture;
    * ``year``: the year is ``year`` or later.

    A trigger latches: once its condition has held in some year, its intervention is on from
    the next year (and no earlier than the intervention's ``from``) to the end of the horizon.
    """

    war_state: tuple[str, ...] = ()
    driver: str = ""
    below: float | None = None
    above: float | None = None
    incident: bool = False
    rupture_event: bool = False
    year: int = 0


@dataclass(frozen=True)
class ConditionalIntervention:
    """A driver intervention that switches on where, and when, its trigger fires (per path)."""

    intervention: DriverIntervention
    when: Trigger


@dataclass(frozen=True)
class CrisisIntervention:
    """An intervention on the crisis model.

    ``target`` is ``incident_rate`` or ``escalation`` (the Poisson rate of serious incidents, or
    the probability that an incident escalates, multiplied by ``factor`` from ``from_year`` on;
    a probability is capped at 1), or ``incident`` / ``rupture_event`` (pinned in ``year``: at
    least one serious incident that year, or one that escalates). ``when`` makes a factor
    conditional, as for drivers.
    """

    target: str
    from_year: int = 0
    factor: float = 1.0
    year: int = 0
    when: Trigger | None = None

    @property
    def is_pin(self) -> bool:
        return self.target in CRISIS_PINS


@dataclass(frozen=True)
class JointOutcome:
    """One row of a joint probability table: the events that happen together, and how likely that is."""

    happen: frozenset[str]
    probability: float


@dataclass(frozen=True)
class JointTable:
    """Dependent uncertain events (scenarios a scenario includes), drawn together from a joint probability table."""

    events: tuple[str, ...]
    outcomes: tuple[JointOutcome, ...]

    def marginal(self, event: str) -> float:
        """P(``event``) under the table: the sum over the outcomes in which it happens."""
        return math.fsum(o.probability for o in self.outcomes if event in o.happen)


@dataclass(frozen=True)
class Scenario(Part):
    """An intervention on future drivers (possibly composed, possibly uncertain).

    ``hypothetical`` marks a scenario no seed paper or dated public source speaks to; its
    provenance then gives the reason it is worth asking.
    """

    description: str = ""
    includes: tuple[str, ...] = ()
    probability: float | str | None = None
    war: WarIntervention = field(default_factory=WarIntervention)
    drivers: dict[str, DriverIntervention] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=Provenance)
    hypothetical: bool = False
    #: driver interventions that switch on when their trigger fires on a path
    conditional: tuple[ConditionalIntervention, ...] = ()
    #: interventions on the crisis model (rates, escalation, pinned events)
    crisis: tuple[CrisisIntervention, ...] = ()
    #: a mixture: each path follows exactly one of these scenarios
    branches: tuple[str, ...] = ()
    #: the branches' probabilities: fixed numbers in branch order, or "lens" (a Dirichlet lens prior)
    branch_probabilities: tuple[float, ...] | str = ()
    #: dependent events: included uncertain scenarios drawn together from a joint probability table
    joint: JointTable | None = None
