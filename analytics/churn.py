"""Churn risk: which partners are likely to leave the program, and why (docs/analytics.md,
"Churn risk").

**Data.** The rollup table `PartnerMonth` (one row per partner and month; a missing row is a
month with nothing) and, for the label, the lifecycle history (`partners.selectors.lifecycle`):
a partner *churned* when it moved from the program to suspended or retired. The satisfaction
score comes from `analytics.psat.score_history` (the partner's named answers: a training
snapshot reads the latest from before its month, a current score the latest).

**Features** of a partner at a month T, from the complete months before T: portal logins and deal
registrations in the last 3 months, the registrations' trend (last 3 vs the 3 before), training
hours and MDF requests and MDF paid in the last 6 months, certified people at the end of the last
month, revenue in the last 6 months and its trend, the satisfaction score (a partner without an
answer gets the neutral 3 of 5 and a "no answer" flag, itself a feature).

**Training** (weekly, per tenant, on its own history): a snapshot of each partner that was in
the program at T, every `SNAPSHOT_EVERY` months, labelled "left within the next
`WINDOW_MONTHS` months" (only snapshots whose window has fully passed). Standardised features,
a logistic regression with balanced class weights; its quality is the ROC AUC on a held-out
quarter of the *partners* (stratified, grouped by partner, fixed seed), then it is refitted on
everything. With too little history (fewer than `MIN_SNAPSHOTS` labelled snapshots or fewer
than `MIN_CHURNED_PARTNERS` partners that left), or a held-out AUC below `MIN_AUC`, the
transparent rules (`RULES`, points per rule) score instead, labelled as such everywhere.

**Scoring** (nightly, and after each training): every partner in the program for at least
`MIN_TENURE_MONTHS` gets a 0–100 score, a band and its top reasons: for the model, the features
whose contribution (coefficient × standardised value) pushes the risk up the most; for the
rules, the rules that fired. Reasons are stored as figures and put in words when shown.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.selectors import facts as partner_facts
from partners.selectors.lifecycle import LifecycleMove, is_departure, lifecycle_moves
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.templatetags.ui import money, number

from .models import ChurnBand, ChurnMethod, ChurnModel, ChurnScore, PartnerMonth
from .rollups import HORIZON_MONTHS, add_months, month_of

logger = logging.getLogger(__name__)

WINDOW_MONTHS = 6  # the label: left the program within this many months after the snapshot
SNAPSHOT_EVERY = 3  # months between two snapshots of a partner's history
MIN_TENURE_MONTHS = 6  # a partner is scored (and snapshotted) once it has a full feature window
MIN_SNAPSHOTS = 30  # labelled snapshots needed to train a model
MIN_CHURNED_PARTNERS = 5  # partners that left, needed to train a model
MIN_AUC = 0.65  # a model ranking held-out partners worse than this is not used
HELD_OUT_FOLDS = 4  # one partner in four held out for the AUC
RANDOM_STATE = 7
HIGH_FROM = 60  # score bands (model and rules alike)
MEDIUM_FROM = 30
TOP_REASONS = 3
# A feature pushing the log-odds up by less than this is not worth naming as a reason.
MIN_CONTRIBUTION = 0.1
NEUTRAL_PSAT = 3.0
IN_PROGRAM = frozenset({"active", "contracted"})
# How many at-risk partners the weekly mail and the home block list.
MAIL_LIST_SIZE = 25
HOME_LIST_SIZE = 5

# PartnerMonth columns read, in this order.
METRICS = (
    "logins",
    "registrations",
    "training_seconds",
    "certified_people",
    "mdf_requests",
    "mdf_paid",
    "revenue",
)
M = {name: index for index, name in enumerate(METRICS)}


# --- Features ------------------------------------------------------------------------------------


def _trend(last: float, previous: float) -> float:
    """The change of the last 3 months on the 3 before, as a fraction in [-1, 1] (+1: from
    nothing to something, or more than doubled)."""
    if previous > 0:
        return max(-1.0, min(1.0, (last - previous) / previous))
    return 1.0 if last > 0 else 0.0


@dataclass(frozen=True)
class Feature:
    key: str
    label: str  # for the Definitions-like list on the page
    log: bool  # log(1 + x): counts and money are skewed


FEATURES: tuple[Feature, ...] = (
    Feature("logins_3m", gettext_lazy("Portal logins, last 3 months"), True),
    Feature("registrations_3m", gettext_lazy("Deal registrations, last 3 months"), True),
    Feature(
        "registration_trend", gettext_lazy("Registrations, last 3 vs previous 3 months"), False
    ),
    Feature("training_hours_6m", gettext_lazy("Training hours, last 6 months"), True),
    Feature("certified_people", gettext_lazy("Certified people"), True),
    Feature("mdf_requests_6m", gettext_lazy("MDF requests, last 6 months"), True),
    Feature("mdf_paid_6m", gettext_lazy("MDF paid, last 6 months"), True),
    Feature("revenue_trend", gettext_lazy("Revenue, last 3 vs previous 3 months"), False),
    Feature("revenue_6m", gettext_lazy("Revenue, last 6 months"), True),
    Feature("psat_score", gettext_lazy("Satisfaction score (latest survey)"), False),
    Feature("psat_missing", gettext_lazy("No answer to the latest satisfaction survey"), False),
)


def raw_features(months: list[list[float]], t: int, psat: Decimal | None) -> dict[str, float]:
    """The figures of a partner at month index `t` from its monthly rows (`months[i]` holds
    METRICS of month i; rows before `t` only)."""

    def total(name: str, start: int, end: int) -> float:
        column = M[name]
        return float(sum(months[i][column] for i in range(max(0, start), max(0, end))))

    registrations, previous_registrations = (
        total("registrations", t - 3, t),
        total("registrations", t - 6, t - 3),
    )
    revenue, previous_revenue = total("revenue", t - 3, t), total("revenue", t - 6, t - 3)
    return {
        "logins_3m": total("logins", t - 3, t),
        "registrations_3m": registrations,
        "registrations_prev_3m": previous_registrations,
        "registration_trend": _trend(registrations, previous_registrations),
        "training_hours_6m": round(total("training_seconds", t - 6, t) / 3600, 1),
        "certified_people": float(months[t - 1][M["certified_people"]]) if t >= 1 else 0.0,
        "mdf_requests_6m": total("mdf_requests", t - 6, t),
        "mdf_paid_6m": round(total("mdf_paid", t - 6, t), 2),
        "revenue_3m": round(revenue, 2),
        "revenue_prev_3m": round(previous_revenue, 2),
        "revenue_trend": _trend(revenue, previous_revenue),
        "revenue_6m": round(revenue + previous_revenue, 2),
        "psat_score": float(psat) if psat is not None else NEUTRAL_PSAT,
        "psat_missing": 0.0 if psat is not None else 1.0,
    }


def model_inputs(raw: dict[str, float]) -> list[float]:
    return [math.log1p(max(0.0, raw[f.key])) if f.log else float(raw[f.key]) for f in FEATURES]


# --- History -------------------------------------------------------------------------------------


@dataclass
class History:
    first: date  # month index 0
    current: date  # month index `now` (its rows are not used: the month is not over)
    now: int
    rows: dict[int, list[list[float]]]  # partner id -> one METRICS row per month, 0..now
    first_month: dict[int, int]  # partner id -> index of its first month in the program

    def index(self, month: date) -> int:
        return (month.year - self.first.year) * 12 + month.month - self.first.month

    def month(self, index: int) -> date:
        return add_months(self.first, index)


def load_history(dims: list[dict], today: date) -> History:
    """Every partner's months from the rollups (one query)."""
    current = month_of(today)
    first = add_months(current, -HORIZON_MONTHS)
    now = HORIZON_MONTHS
    rows: dict[int, list[list[float]]] = {}
    seen_from: dict[int, int] = {}

    def blank() -> list[list[float]]:
        return [[0.0] * len(METRICS) for _ in range(now + 1)]

    values = (
        PartnerMonth.objects.filter(month__gte=first, month__lte=current)
        .order_by()
        .values_list("partner_id", "month", *METRICS)
    )
    for partner_id, month, *figures in values.iterator(chunk_size=5000):
        i = (month.year - first.year) * 12 + month.month - first.month
        row = rows.setdefault(partner_id, blank())[i]
        for column, value in enumerate(figures):
            row[column] = float(value or 0)
        seen_from[partner_id] = min(seen_from.get(partner_id, i), i)
    history = History(first=first, current=current, now=now, rows=rows, first_month={})
    for d in dims:
        created = history.index(month_of(d["created_at"]))
        start = min(created, seen_from.get(d["id"], created))
        history.first_month[d["id"]] = start
        rows.setdefault(d["id"], blank())
    return history


def _month_start(month: date) -> datetime:
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def _state_at(moves: list[LifecycleMove], current_state: str, moment: datetime) -> str:
    """The partner's lifecycle state at `moment`, from its recorded moves."""
    before = [m for m in moves if m["at"] < moment]
    if before:
        return before[-1]["to_state"]
    if moves:
        return moves[0]["from_state"] or moves[0]["to_state"]
    return current_state


# --- Training set --------------------------------------------------------------------------------


@dataclass
class TrainingSet:
    inputs: list[list[float]]
    labels: list[int]
    groups: list[int]  # partner ids

    @property
    def churned_partners(self) -> int:
        return len({g for g, y in zip(self.groups, self.labels, strict=True) if y})


def training_set(
    history: History, dims: list[dict], moves: dict[int, list], psat: dict
) -> TrainingSet:
    """Snapshots of each partner at past months it was in the program, every SNAPSHOT_EVERY
    months back from the last month whose WINDOW_MONTHS have fully passed."""
    out = TrainingSet([], [], [])
    last = history.now - WINDOW_MONTHS
    for d in dims:
        pid = d["id"]
        own_moves = moves.get(pid, [])
        departures = [m["at"] for m in own_moves if is_departure(m)]
        for t in range(last, MIN_TENURE_MONTHS - 1, -SNAPSHOT_EVERY):
            if t - history.first_month[pid] < MIN_TENURE_MONTHS:
                break
            start = _month_start(history.month(t))
            if _state_at(own_moves, d["state"], start) not in IN_PROGRAM:
                continue
            end = _month_start(history.month(t + WINDOW_MONTHS))
            label = int(any(start <= at < end for at in departures))
            score = _psat_at(psat, pid, start)  # known then, not later
            out.inputs.append(model_inputs(raw_features(history.rows[pid], t, score)))
            out.labels.append(label)
            out.groups.append(pid)
    return out


def _not_enough(data: TrainingSet) -> str:
    if len(data.labels) < MIN_SNAPSHOTS or data.churned_partners < MIN_CHURNED_PARTNERS:
        return _(
            "Not enough history to train a model: %(snapshots)s labelled partner snapshots "
            "(%(min_snapshots)s needed) and %(churned)s partners who left (%(min_churned)s "
            "needed)."
        ) % {
            "snapshots": len(data.labels),
            "min_snapshots": MIN_SNAPSHOTS,
            "churned": data.churned_partners,
            "min_churned": MIN_CHURNED_PARTNERS,
        }
    return ""


@dataclass
class Fitted:
    auc: float | None
    train_size: int
    test_size: int
    means: list[float]
    scales: list[float]
    coefs: list[float]
    intercept: float


def fit(data: TrainingSet) -> Fitted:
    """Held-out AUC (a quarter of the partners, stratified), then the model refitted on all."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def pipeline():
        return make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000)
        )

    x = np.asarray(data.inputs, dtype=float)
    y = np.asarray(data.labels, dtype=int)
    groups = np.asarray(data.groups)
    folds = StratifiedGroupKFold(n_splits=HELD_OUT_FOLDS, shuffle=True, random_state=RANDOM_STATE)
    train, test = next(folds.split(x, y, groups))
    auc = None
    if len(set(y[test])) == 2 and len(set(y[train])) == 2:
        held_out = pipeline().fit(x[train], y[train])
        auc = float(roc_auc_score(y[test], held_out.predict_proba(x[test])[:, 1]))
    final = pipeline().fit(x, y)
    scaler, regression = final[0], final[1]
    return Fitted(
        auc=auc,
        train_size=len(train),
        test_size=len(test),
        means=[float(v) for v in scaler.mean_],
        scales=[float(v) for v in scaler.scale_],
        coefs=[float(v) for v in regression.coef_[0]],
        intercept=float(regression.intercept_[0]),
    )


# --- The rules (too little history) --------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    key: str  # the reason it gives (reason_text)
    points: int
    description: str  # shown on the page
    applies: object  # fn(raw) -> bool


def _down_by_half(last: float, previous: float) -> bool:
    return previous > 0 and last <= previous / 2


# At most one rule per signal (the first that applies); the points add up to at most 100.
RULES: tuple[tuple[Rule, ...], ...] = (
    (
        Rule(
            "logins",
            25,
            gettext_lazy("No portal logins in the last 3 months"),
            lambda r: r["logins_3m"] == 0,
        ),
    ),
    (
        Rule(
            "registrations",
            15,
            gettext_lazy("No deal registrations in the last 3 months"),
            lambda r: r["registrations_3m"] == 0,
        ),
        Rule(
            "registration_trend",
            10,
            gettext_lazy("Deal registrations down by half or more on the previous 3 months"),
            lambda r: _down_by_half(r["registrations_3m"], r["registrations_prev_3m"]),
        ),
    ),
    (
        Rule(
            "training",
            15,
            gettext_lazy("No training in the last 6 months"),
            lambda r: r["training_hours_6m"] == 0,
        ),
    ),
    (
        Rule(
            "certified",
            10,
            gettext_lazy("No certified people"),
            lambda r: r["certified_people"] == 0,
        ),
    ),
    (
        Rule(
            "revenue",
            15,
            gettext_lazy("No revenue in the last 6 months"),
            lambda r: r["revenue_6m"] == 0,
        ),
        Rule(
            "revenue_trend",
            10,
            gettext_lazy("Revenue down by half or more on the previous 3 months"),
            lambda r: _down_by_half(r["revenue_3m"], r["revenue_prev_3m"]),
        ),
    ),
    (
        Rule(
            "mdf_requests",
            5,
            gettext_lazy("No MDF requests in the last 6 months"),
            lambda r: r["mdf_requests_6m"] == 0,
        ),
    ),
    (
        Rule(
            "psat",
            15,
            gettext_lazy("Satisfaction score of 2.5 of 5 or lower in the latest survey"),
            lambda r: not r["psat_missing"] and r["psat_score"] <= 2.5,
        ),
        Rule(
            "psat_missing",
            5,
            gettext_lazy("No answer to the latest satisfaction survey"),
            lambda r: bool(r["psat_missing"]),
        ),
    ),
)


def rules_shown() -> list[Rule]:
    return [rule for signal in RULES for rule in signal]


# --- Scores and reasons --------------------------------------------------------------------------

# The figures each reason needs to be put in words.
REASON_FIGURES = {
    "logins": ("logins_3m",),
    "logins_3m": ("logins_3m",),
    "registrations": ("registrations_3m",),
    "registrations_3m": ("registrations_3m",),
    "registration_trend": ("registrations_3m", "registrations_prev_3m"),
    "training": ("training_hours_6m",),
    "training_hours_6m": ("training_hours_6m",),
    "certified": ("certified_people",),
    "certified_people": ("certified_people",),
    "mdf_requests": ("mdf_requests_6m",),
    "mdf_requests_6m": ("mdf_requests_6m",),
    "mdf_paid_6m": ("mdf_paid_6m",),
    "revenue": ("revenue_6m",),
    "revenue_6m": ("revenue_6m",),
    "revenue_trend": ("revenue_3m", "revenue_prev_3m"),
    "psat": ("psat_score",),
    "psat_score": ("psat_score",),
    "psat_missing": (),
}


def band_of(score: int) -> str:
    if score >= HIGH_FROM:
        return ChurnBand.HIGH
    return ChurnBand.MEDIUM if score >= MEDIUM_FROM else ChurnBand.LOW


def _reason(key: str, raw: dict, currency: str, **extra) -> dict:
    return {
        "key": key,
        **{name: raw[name] for name in REASON_FIGURES[key]},
        "currency": currency,
        **extra,
    }


def score_by_rules(raw: dict, currency: str) -> tuple[int, list[dict]]:
    points, reasons = 0, []
    for signal in RULES:
        rule = next((r for r in signal if r.applies(raw)), None)
        if rule is not None:
            points += rule.points
            reasons.append(_reason(rule.key, raw, currency, points=rule.points))
    reasons.sort(key=lambda r: -r["points"])
    return min(points, 100), reasons[:TOP_REASONS]


def score_by_model(model: ChurnModel, raw: dict, currency: str) -> tuple[int, list[dict]]:
    inputs = model_inputs(raw)
    by_key = {f["key"]: f for f in model.features}
    logit = model.intercept or 0.0
    contributions = []
    for feature, value in zip(FEATURES, inputs, strict=True):
        stored = by_key[feature.key]
        z = (value - stored["mean"]) / (stored["scale"] or 1.0)
        contribution = stored["coef"] * z
        logit += contribution
        contributions.append((contribution, feature.key, z))
    probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
    score = int(Decimal(probability * 100).quantize(Decimal(1), ROUND_HALF_UP))
    reasons = []
    for contribution, key, z in sorted(contributions, reverse=True):
        if contribution < MIN_CONTRIBUTION or len(reasons) == TOP_REASONS:
            break
        if key == "psat_missing":
            if not raw["psat_missing"]:
                continue
        elif z >= 0 or (key == "psat_score" and raw["psat_missing"]):
            # NOTE: a reason is "less of it than the typical partner, and less means risk". A
            # weight going the other way (more training, more risk) comes from signals moving
            # together; it counts in the score and shows in the weights table, but is no reason
            # to give a manager. An imputed satisfaction score says nothing either.
            continue
        reasons.append(_reason(key, raw, currency, weight=round(contribution, 3), low=True))
    return score, reasons


def _pct(last: float, previous: float) -> str:
    return number(Decimal(abs(last - previous) * 100 / previous), 0)


def reason_text(reason: dict) -> str:
    """A reason in plain words ("No portal logins in the last 3 months")."""
    key = reason.get("key", "")
    low = reason.get("low", True)
    currency = reason.get("currency", "")
    if key in ("logins", "logins_3m"):
        n = reason["logins_3m"]
        if not n:
            return _("No portal logins in the last 3 months")
        text = _("%(n)s portal logins in the last 3 months") % {"n": number(n)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key in ("registrations", "registrations_3m"):
        n = reason["registrations_3m"]
        if not n:
            return _("No deal registrations in the last 3 months")
        text = _("%(n)s deal registrations in the last 3 months") % {"n": number(n)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key == "registration_trend":
        last, previous = reason["registrations_3m"], reason["registrations_prev_3m"]
        if previous and not last:
            return _(
                "No deal registrations in the last 3 months, after %(n)s the 3 months before"
            ) % {"n": number(previous)}
        if previous and last < previous:
            return _("Registrations down %(pct)s%% on the previous 3 months") % {
                "pct": _pct(last, previous)
            }
        if previous and last > previous:
            return _("Registrations up %(pct)s%% on the previous 3 months") % {
                "pct": _pct(last, previous)
            }
        if not previous and last:
            return _("Registrations started again after 3 months without any")
        return _("No change in registrations on the previous 3 months")
    if key in ("training", "training_hours_6m"):
        hours = reason["training_hours_6m"]
        if not hours:
            return _("No training in 6 months")
        text = _("%(hours)s training hours in the last 6 months") % {"hours": number(hours, 1)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key in ("certified", "certified_people"):
        n = reason["certified_people"]
        if not n:
            return _("No certified people")
        text = _("%(n)s certified people") % {"n": number(n)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key in ("mdf_requests", "mdf_requests_6m"):
        n = reason["mdf_requests_6m"]
        if not n:
            return _("No MDF requests in the last 6 months")
        text = _("%(n)s MDF requests in the last 6 months") % {"n": number(n)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key == "mdf_paid_6m":
        amount = reason["mdf_paid_6m"]
        if not amount:
            return _("No MDF paid in the last 6 months")
        text = _("%(amount)s of MDF paid in the last 6 months") % {
            "amount": money(amount, currency)
        }
        return _("Only %(what)s") % {"what": text} if low else text
    if key in ("revenue", "revenue_6m"):
        amount = reason["revenue_6m"]
        if not amount:
            return _("No revenue in the last 6 months")
        text = _("%(amount)s revenue in the last 6 months") % {"amount": money(amount, currency)}
        return _("Only %(what)s") % {"what": text} if low else text
    if key == "revenue_trend":
        last, previous = reason["revenue_3m"], reason["revenue_prev_3m"]
        if previous and not last:
            return _("No revenue in the last 3 months, after %(amount)s the 3 months before") % {
                "amount": money(previous, currency)
            }
        if previous and last < previous:
            return _("Revenue down %(pct)s%% on the previous 3 months") % {
                "pct": _pct(last, previous)
            }
        if previous and last > previous:
            return _("Revenue up %(pct)s%% on the previous 3 months") % {
                "pct": _pct(last, previous)
            }
        if not previous and last:
            return _("Revenue came back after 3 months without any")
        return _("No revenue in the last 6 months")
    if key in ("psat", "psat_score"):
        score = number(reason["psat_score"], 1)
        if low or key == "psat":
            return _("Low satisfaction score: %(score)s of 5 in the latest survey") % {
                "score": score
            }
        return _("Satisfaction score %(score)s of 5 in the latest survey") % {"score": score}
    if key == "psat_missing":
        return _("No answer to the latest satisfaction survey")
    return _("Other signal")


# --- Writing: training and scoring ---------------------------------------------------------------


def _psat_scores(partner_ids: Iterable[int]) -> dict[int, list]:
    """Each partner's named PSAT scores over time (`psat.score_history`): a training snapshot
    reads the latest from before its month, a current score the latest of all."""
    from .psat import score_history

    return score_history(list(partner_ids))


def _psat_at(psat: dict, partner_id: int, moment=None) -> Decimal | None:
    from .psat import score_before

    history = psat.get(partner_id)
    if moment is None:
        return history[-1][1] if history else None
    return score_before(history, moment)


def _currency() -> str:
    from partners.services.tiers import program_settings

    return program_settings().currency


def _inputs(today: date | None):
    today = today or timezone.now().date()
    dims = partner_facts.partner_dimensions()
    history = load_history(dims, today)
    moves: dict[int, list] = defaultdict(list)
    for move in lifecycle_moves():
        moves[move["partner_id"]].append(move)
    psat = _psat_scores(d["id"] for d in dims)
    return dims, history, moves, psat


@transaction.atomic
def churn_train(*, today: date | None = None, requested_by=None) -> ChurnModel:
    """Train the current tenant's model on its own history (or fall back to the rules), store
    the run, then score every partner with it."""
    started = time.monotonic()
    dims, history, moves, psat = _inputs(today)
    data = training_set(history, dims, moves, psat)
    run = ChurnModel(
        method=ChurnMethod.RULES,
        snapshots=len(data.labels),
        churned_snapshots=sum(data.labels),
        partners_used=len(set(data.groups)),
        churned_partners=data.churned_partners,
        requested_by=requested_by,
    )
    run.fallback_reason = _not_enough(data)
    if not run.fallback_reason:
        try:
            fitted = fit(data)
        except Exception as error:  # noqa: BLE001 — a failed fit falls back, with the error kept
            logger.exception("Churn model training failed")
            run.error = str(error)[:2000]
            run.fallback_reason = _("The model could not be trained (see the error).")
        else:
            run.train_size, run.test_size = fitted.train_size, fitted.test_size
            run.auc = (
                Decimal(fitted.auc).quantize(Decimal("0.001"), ROUND_HALF_UP)
                if fitted.auc is not None
                else None
            )
            if fitted.auc is None:
                run.fallback_reason = _(
                    "The held-out partners did not include both partners who left and partners "
                    "who stayed, so the model's quality could not be measured."
                )
            elif fitted.auc < MIN_AUC:
                run.fallback_reason = _(
                    "The model ranked held-out partners too poorly to be used (ROC AUC "
                    "%(auc)s, %(min)s needed)."
                ) % {"auc": number(run.auc, 2), "min": number(MIN_AUC, 2)}
            else:
                run.method = ChurnMethod.MODEL
                run.intercept = fitted.intercept
                run.features = [
                    {"key": f.key, "mean": mean, "scale": scale, "coef": coef}
                    for f, mean, scale, coef in zip(
                        FEATURES, fitted.means, fitted.scales, fitted.coefs, strict=True
                    )
                ]
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.save()
    _score(run, dims, history, psat)
    return run


def latest_model() -> ChurnModel | None:
    return ChurnModel.objects.order_by("-trained_at", "-id").first()


@transaction.atomic
def churn_score(*, today: date | None = None) -> int:
    """Score every partner with the latest training (training one first if there is none).
    Returns how many partners were scored."""
    model = latest_model()
    if model is None:
        model = churn_train(today=today)
        return ChurnScore.objects.filter(model=model).count()
    dims, history, _moves, psat = _inputs(today)
    return _score(model, dims, history, psat)


def _score(model: ChurnModel, dims: list[dict], history: History, psat: dict) -> int:
    currency = _currency()
    now = timezone.now()
    tenant = require_current_tenant()
    rows = []
    for d in dims:
        pid = d["id"]
        if not d["is_active"] or d["state"] not in IN_PROGRAM:
            continue
        if history.now - history.first_month[pid] < MIN_TENURE_MONTHS:
            continue  # onboarding: too little to go on
        raw = raw_features(history.rows[pid], history.now, _psat_at(psat, pid))
        if model.is_rules:
            score, reasons = score_by_rules(raw, currency)
        else:
            score, reasons = score_by_model(model, raw, currency)
        rows.append(
            ChurnScore(
                tenant=tenant,
                partner_id=pid,
                model=model,
                score=score,
                band=band_of(score),
                reasons=reasons,
                features=raw,
                tier_id=d["tier_id"],
                region=d["region"],
                scored_at=now,
            )
        )
    ChurnScore.objects.all().delete()
    ChurnScore.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


@transaction.atomic
def churn_retrain_request(*, actor: Actor) -> None:
    """ "Retrain now" (program admins): train and score in the background."""
    access.require(actor, Perm.ANALYTICS_MANAGE)
    from tenancy.tasks import enqueue

    from .tasks import train_churn_model

    tenant = require_current_tenant()
    audit_record(actor=actor, action="analytics.churn_retrain_requested", target=tenant, changes={})
    enqueue(train_churn_model, tenant=tenant, requested_by_id=actor.user.pk if actor.user else None)


def tenants_to_score() -> list[int]:
    from .services import tenants_with_partners

    return tenants_with_partners()


# --- Reading -------------------------------------------------------------------------------------


def scores_for(actor: Actor) -> QuerySet[ChurnScore]:
    """The scores the actor may see (as the KPI dashboard: every partner, or a channel manager's
    own), riskiest first, with the partner."""
    qs = ChurnScore.objects.select_related("partner").order_by("-score", "partner__name", "pk")
    if actor.is_partner or not actor.has(Perm.ANALYTICS_VIEW):
        return qs.none()
    if access.sees_every_partner(actor):
        return qs
    return access.scope_partner_owned(actor, qs)


def model_weights(model: ChurnModel | None) -> list[dict]:
    """What the model weighs, strongest first: each feature's label, its weight (standardised
    coefficient) and which way it pushes the risk, in words."""
    if model is None or model.is_rules:
        return []
    labels = {f.key: f.label for f in FEATURES}
    out = []
    for stored in sorted(model.features, key=lambda f: -abs(f["coef"])):
        coef = stored["coef"]
        if abs(coef) < 0.005:
            direction = _("No effect: it did not vary in the history")
        elif stored["key"] == "psat_missing":
            direction = (
                _("Not answering raises the risk") if coef > 0 else _("Not answering lowers it")
            )
        else:
            direction = _("Less of it, higher risk") if coef < 0 else _("More of it, higher risk")
        out.append({"label": labels[stored["key"]], "weight": abs(coef), "direction": direction})
    return out


def thresholds() -> dict:
    return {
        "window": WINDOW_MONTHS,
        "every": SNAPSHOT_EVERY,
        "tenure": MIN_TENURE_MONTHS,
        "min_snapshots": MIN_SNAPSHOTS,
        "min_churned": MIN_CHURNED_PARTNERS,
        "min_auc": MIN_AUC,
        "high": HIGH_FROM,
        "medium": MEDIUM_FROM,
    }


def home_context(actor: Actor) -> dict:
    """The manager home's "At-risk partners" block: their partners in the high band (2 queries)."""
    at_risk = scores_for(actor).filter(band=ChurnBand.HIGH)
    return {
        "at_risk": list(at_risk[:HOME_LIST_SIZE]),
        "at_risk_count": at_risk.count(),
    }


# --- The weekly mail to channel managers ---------------------------------------------------------


def week_key(today: date) -> str:
    year, week, _day = today.isocalendar()
    return f"{year}-W{week:02d}"


def at_risk_mail_send(*, today: date | None = None) -> int:
    """Mail each channel manager the list of their partners at high risk, with reasons (once per
    manager per ISO week: the outbox's idempotency key). Returns how many mails were written."""
    from tenancy.access import actor_for_user
    from tenancy.models import Membership
    from tenancy.roles import Role

    from . import mail

    today = today or timezone.localdate()
    tenant = require_current_tenant()
    model = latest_model()
    if model is None:
        return 0
    sent = 0
    managers = (
        Membership.objects.filter(role=Role.CHANNEL_MANAGER, is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    )
    for membership in managers:
        actor = actor_for_user(membership.user, tenant)
        at_risk = scores_for(actor).filter(band=ChurnBand.HIGH)
        scores = list(at_risk[:MAIL_LIST_SIZE])
        if not scores:
            continue
        with transaction.atomic():
            notified = mail.at_risk_partners(
                user=membership.user,
                scores=scores,
                total=at_risk.count() if len(scores) == MAIL_LIST_SIZE else len(scores),
                model=model,
                week=week_key(today),
            )
        sent += int(notified.created)
    return sent
