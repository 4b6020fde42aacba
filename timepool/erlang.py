"""Stochastic team sizing for randomly arriving repair orders: Erlang C (M/M/N) and Erlang A (M/M/N+M).

Numerics: Erlang C goes through the Erlang B recursion ``B(n) = a·B(n−1) / (n + a·B(n−1))``,
which never forms ``a**n`` or ``n!`` and stays accurate at thousands of agents. Erlang A builds
its stationary distribution in log space and gets the waiting-time distribution of an arriving
customer by uniformisation of the pure-death chain of his queue position, so it too is stable
at large loads. All rates are per minute.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from scipy.special import gammaln
from scipy.stats import poisson

#: Largest agent count the sizing searches try before giving up.
MAX_AGENTS = 100_000


class SizingError(ValueError):
    """The parameters of a sizing problem are not understood or cannot be met."""


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of Erlang B, by the stable recursion.

    Parameters
    ----------
    agents : int
        Number of servers, ``>= 0``.
    load : float
        Offered load ``a = λ/μ`` in Erlangs, ``>= 0``.
    """
    if agents < 0 or load < 0:
        raise SizingError(f"agents ({agents}) and load ({load}) must be >= 0")
    b = 1.0
    for n in range(1, agents + 1):
        b = load * b / (n + load * b)
    return b


def erlang_c(agents: int, load: float) -> float:
    """Probability that an arrival waits (Erlang C), ``C = N·B / (N − a·(1 − B))``; needs ``a < N``."""
    if load <= 0:
        return 0.0
    if agents <= load:
        raise SizingError(f"Erlang C needs more agents than the load: agents={agents}, load={load:.4g}")
    b = erlang_b(agents, load)
    return agents * b / (agents - load * (1.0 - b))


@dataclass(frozen=True)
class QueueMetrics:
    """Performance of one agent count."""

    agents: int
    load_erlangs: float
    wait_probability: float
    service_level: float
    occupancy: float
    average_wait_minutes: float
    abandon_probability: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def erlang_c_metrics(
    agents: int, arrival_rate: float, handle_minutes: float, target_minutes: float
) -> QueueMetrics:
    """Erlang C performance of ``agents`` servers.

    ``service_level = 1 − C·exp(−(N − a)·T/h)`` is the share of arrivals that wait at most ``T``;
    ``average_wait = C·h / (N − a)`` (average speed of answer).
    """
    _check_positive(arrival_rate=arrival_rate, handle_minutes=handle_minutes)
    if target_minutes < 0:
        raise SizingError(f"target_minutes must be >= 0, got {target_minutes}")
    load = arrival_rate * handle_minutes
    pw = erlang_c(agents, load)
    sl = 1.0 - pw * math.exp(-(agents - load) * target_minutes / handle_minutes)
    return QueueMetrics(
        agents=agents,
        load_erlangs=load,
        wait_probability=pw,
        service_level=sl,
        occupancy=load / agents,
        average_wait_minutes=pw * handle_minutes / (agents - load),
    )


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (value > 0 and math.isfinite(value)):
            raise SizingError(f"{name} must be a positive number, got {value}")


def _log_stationary_erlang_a(agents: int, load: float, mu: float, theta: float) -> np.ndarray:
    """Log of the unnormalised stationary distribution of M/M/N+M, truncated where negligible."""
    n = np.arange(agents + 1)
    log_low = n * math.log(load) - gammaln(n + 1) if load > 0 else np.where(n == 0, 0.0, -np.inf)
    lam = load * mu
    tail = [float(log_low[-1])]
    peak = float(np.max(log_low))
    k = 0
    while True:
        k += 1
        step = math.log(lam) - math.log(agents * mu + k * theta) if lam > 0 else -math.inf
        value = tail[-1] + step
        tail.append(value)
        peak = max(peak, value)
        if step < 0 and value < peak - 45.0:
            break
        if k > 10_000_000:
            raise SizingError("Erlang A queue does not settle; patience too long for this load")
    return np.concatenate([log_low[:-1], np.array(tail)])


def erlang_a_metrics(
    agents: int,
    arrival_rate: float,
    handle_minutes: float,
    patience_minutes: float,
    target_minutes: float,
) -> QueueMetrics:
    """Erlang A (Palm's M/M/N+M) performance of ``agents`` servers with exponential patience.

    ``service_level`` is the share of arrivals whose service starts within ``T`` (so customers who
    give up before being served count against it); ``abandon_probability = θ·E[queue]/λ``.
    """
    _check_positive(
        arrival_rate=arrival_rate, handle_minutes=handle_minutes, patience_minutes=patience_minutes
    )
    if agents < 1:
        raise SizingError(f"agents must be >= 1, got {agents}")
    if target_minutes < 0:
        raise SizingError(f"target_minutes must be >= 0, got {target_minutes}")
    mu = 1.0 / handle_minutes
    theta = 1.0 / patience_minutes
    load = arrival_rate * handle_minutes
    logp = _log_stationary_erlang_a(agents, load, mu, theta)
    logp -= logp.max()
    p = np.exp(logp)
    p /= p.sum()
    wait_prob = float(p[agents:].sum())
    expected_queue = float((p[agents:] * np.arange(p.size - agents)).sum())
    abandon = theta * expected_queue / arrival_rate
    busy = float((p * np.minimum(np.arange(p.size), agents)).sum())
    # Tagged customer at position j (arrived finding N + j − 1): moves up at rate N·μ + (j − 1)·θ,
    # gives up at rate θ. P(start within T) by uniformisation of this absorbing chain.
    start_pos = p[agents:]  # position 1 .. K+1
    rates_up = agents * mu + (np.arange(1, start_pos.size + 1) - 1) * theta
    big = float(rates_up.max() + theta)
    started_within = 0.0
    if target_minutes > 0 and start_pos.size:
        lt = big * target_minutes
        m_max = int(lt + 12.0 * math.sqrt(lt) + 30)
        weights = poisson.pmf(np.arange(m_max + 1), lt)
        vec = start_pos.copy()
        stay = 1.0 - (rates_up + theta) / big
        move = rates_up / big
        absorbed = 0.0
        for m in range(m_max + 1):
            started_within += weights[m] * absorbed
            absorbed += vec[0] * move[0]
            nxt = vec * stay
            nxt[:-1] += vec[1:] * move[1:]
            vec = nxt
        started_within += (1.0 - weights.sum()) * absorbed
    sl = (1.0 - wait_prob) + started_within
    avg_wait = expected_queue / arrival_rate  # Little's law on the queue (all arrivals)
    return QueueMetrics(
        agents=agents,
        load_erlangs=load,
        wait_probability=wait_prob,
        service_level=float(min(1.0, max(0.0, sl))),
        occupancy=busy / agents,
        average_wait_minutes=avg_wait,
        abandon_probability=abandon,
    )


@dataclass(frozen=True)
class SizingResult:
    """Smallest agent count meeting the target, and the positions to employ for it."""

    model: str
    arrivals: float
    interval_minutes: float
    handle_minutes: float
    target_service_level: float
    target_minutes: float
    max_occupancy: float
    shrinkage: float
    load_erlangs: float
    raw_agents: int
    positions: int
    service_level: float
    wait_probability: float
    occupancy: float
    average_wait_minutes: float
    abandon_probability: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def gross_up(raw_agents: int, shrinkage: float) -> int:
    """Positions = ⌈raw ÷ (1 − shrinkage)⌉, computed exactly from the decimal value of ``shrinkage``."""
    if not 0 <= shrinkage < 1:
        raise SizingError(f"shrinkage must be in [0, 1), got {shrinkage}")
    share = Fraction(Decimal(str(shrinkage)))
    return math.ceil(Fraction(raw_agents) / (1 - share))


def _check_targets(target_service_level: float, max_occupancy: float, interval_minutes: float) -> None:
    if not 0 < target_service_level < 1:
        raise SizingError(f"target service level must be in (0, 1), got {target_service_level}")
    if not 0 < max_occupancy <= 1:
        raise SizingError(f"max occupancy must be in (0, 1], got {max_occupancy}")
    _check_positive(interval_minutes=interval_minutes)


def size_erlang_c(
    arrivals: float,
    interval_minutes: float,
    handle_minutes: float,
    target_service_level: float,
    target_minutes: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> SizingResult:
    """Smallest N > a with Erlang C service level ≥ target and occupancy a/N ≤ cap.

    Parameters
    ----------
    arrivals : float
        Arrivals in one interval (e.g. calls per half hour, faults per day).
    interval_minutes, handle_minutes, target_minutes : float
        Interval length, mean handling time and the service-level threshold, in minutes.
    target_service_level : float
        Share of arrivals to be served within ``target_minutes`` (e.g. 0.8).
    max_occupancy : float
        Cap on a/N (1 = no cap).
    shrinkage : float
        Share of paid time not available for work; positions = ⌈raw ÷ (1 − shrinkage)⌉.
    """
    _check_targets(target_service_level, max_occupancy, interval_minutes)
    rate = arrivals / interval_minutes
    _check_positive(arrivals=arrivals, handle_minutes=handle_minutes)
    load = rate * handle_minutes
    agents = max(1, math.floor(load) + 1)
    while agents <= MAX_AGENTS:
        m = erlang_c_metrics(agents, rate, handle_minutes, target_minutes)
        if m.service_level >= target_service_level and m.occupancy <= max_occupancy:
            return _result(
                "erlang_c",
                m,
                arrivals,
                interval_minutes,
                handle_minutes,
                target_service_level,
                target_minutes,
                max_occupancy,
                shrinkage,
            )
        agents += 1
    raise SizingError(f"no agent count up to {MAX_AGENTS} meets the target")


def size_erlang_a(
    arrivals: float,
    interval_minutes: float,
    handle_minutes: float,
    patience_minutes: float,
    target_service_level: float,
    target_minutes: float,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> SizingResult:
    """Smallest N with Erlang A service level (started within T) ≥ target and occupancy ≤ cap."""
    _check_targets(target_service_level, max_occupancy, interval_minutes)
    rate = arrivals / interval_minutes
    _check_positive(arrivals=arrivals, handle_minutes=handle_minutes)
    load = rate * handle_minutes
    # Service level rises with N; skip the hopeless region below the load minus a few sigmas.
    agents = max(1, math.floor(load - 4 * math.sqrt(load)))
    while agents <= MAX_AGENTS:
        m = erlang_a_metrics(agents, rate, handle_minutes, patience_minutes, target_minutes)
        if m.service_level >= target_service_level and m.occupancy <= max_occupancy:
            return _result(
                "erlang_a",
                m,
                arrivals,
                interval_minutes,
                handle_minutes,
                target_service_level,
                target_minutes,
                max_occupancy,
                shrinkage,
            )
        agents += 1
    raise SizingError(f"no agent count up to {MAX_AGENTS} meets the target")


def _result(
    model: str,
    m: QueueMetrics,
    arrivals: float,
    interval: float,
    handle: float,
    target_sl: float,
    target_min: float,
    max_occ: float,
    shrinkage: float,
) -> SizingResult:
    return SizingResult(
        model=model,
        arrivals=arrivals,
        interval_minutes=interval,
        handle_minutes=handle,
        target_service_level=target_sl,
        target_minutes=target_min,
        max_occupancy=max_occ,
        shrinkage=shrinkage,
        load_erlangs=m.load_erlangs,
        raw_agents=m.agents,
        positions=gross_up(m.agents, shrinkage),
        service_level=m.service_level,
        wait_probability=m.wait_probability,
        occupancy=m.occupancy,
        average_wait_minutes=m.average_wait_minutes,
        abandon_probability=m.abandon_probability,
    )
