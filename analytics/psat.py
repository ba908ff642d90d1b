"""Partner satisfaction (PSAT): surveys sent to partner users, reminders, answers, and every
PSAT figure, defined once.

A survey asks each active partner user a few questions scored 1 to 5, how likely they are to
recommend the program (0 to 10) and for a comment. It opens on a schedule (every
`psat_every_months`, or by hand), reminds those who have not answered every `psat_reminder_days`
(twice at most) and closes after `psat_open_days`. Anonymous surveys keep, with an answer, only
the partner's tier, region and type then — never the person or the partner; the invitation
records that the person answered (for response rates), not what.

Figures (`SURVEY_METRICS`, one formula each; pages, CSV, API and PDF read them):
- PSAT score: the mean of every scored answer (1–5), half up to one decimal;
- NPS: % promoters (9–10) − % detractors (0–6) of the answers, half up to a whole number;
- response rate: people who answered ÷ people asked, %, half up to one decimal.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.selectors.facts import partner_dimensions_of, partner_people
from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.emails import mail_kind
from tenancy.notifications import notify

from .metrics import Metric
from .models import PsatInvitation, PsatResponse, PsatSurvey, SurveyStatus
from .settings import analytics_settings

PSAT_INVITE = mail_kind(
    "analytics.psat_invite", gettext_lazy("Partner satisfaction survey (and its reminders)")
)
MAX_REMINDERS = 2
# An anonymous survey's breakdown (by tier, region) shows a group only from this many answers:
# fewer could point at a person.
MIN_ANONYMOUS_GROUP = 3
TENTH = Decimal("0.1")
ONE = Decimal("1")
HUNDRED = Decimal(100)
PROMOTER = 9  # 9 and 10
DETRACTOR = 6  # 0 to 6


# --- The figures ---------------------------------------------------------------------------------


def _half_up(value: Decimal, places: Decimal) -> Decimal:
    return value.quantize(places, ROUND_HALF_UP)


def _score(s: dict) -> Decimal | None:
    count = int(s.get("score_count") or 0)
    if not count:
        return None
    return _half_up(Decimal(int(s.get("score_sum") or 0)) / count, TENTH)


def _nps(s: dict) -> Decimal | None:
    answers = int(s.get("responses") or 0)
    if not answers:
        return None
    net = Decimal(int(s.get("promoters") or 0) - int(s.get("detractors") or 0))
    return _half_up(net * HUNDRED / answers, ONE)


def _response_rate(s: dict) -> Decimal | None:
    asked = int(s.get("invited") or 0)
    if not asked:
        return None
    return _half_up(Decimal(int(s.get("answered") or 0)) * HUNDRED / asked, TENTH)


SURVEY_METRICS = {
    m.key: m
    for m in (
        Metric(
            "psat_score",
            gettext_lazy("PSAT score"),
            "score",
            gettext_lazy(
                "The mean of every answer to the scored questions (1 = poor, 5 = excellent), "
                "half up to one decimal."
            ),
            _score,
        ),
        Metric(
            "nps",
            gettext_lazy("Net promoter score"),
            "nps",
            gettext_lazy(
                "Of the answers to “How likely are you to recommend our partner program?” "
                "(0–10): the % answering 9 or 10 minus the % answering 0 to 6, from −100 to "
                "100, half up to a whole number."
            ),
            _nps,
        ),
        Metric(
            "response_rate",
            gettext_lazy("Response rate"),
            "percent",
            gettext_lazy(
                "People who answered ÷ partner users asked, as a %, half up to one decimal."
            ),
            _response_rate,
        ),
        Metric(
            "responses",
            gettext_lazy("Answers"),
            "count",
            gettext_lazy("Surveys answered."),
            lambda s: int(s.get("responses") or 0),
        ),
    )
}


@dataclass(frozen=True)
class PsatFilters:
    tier_id: int | None = None  # 0: partners without a tier
    region: str = ""


def _narrow(qs: QuerySet, f: PsatFilters) -> QuerySet:
    if f.tier_id is not None:
        qs = qs.filter(tier_id=f.tier_id or None)
    if f.region:
        qs = qs.filter(region=f.region)
    return qs


def program_wide(actor: Actor, survey: PsatSurvey) -> bool:
    """Whether the actor reads the whole program's answers to `survey`: those who see every
    partner always; a channel manager reads their own partners' answers, and the whole
    program's for an anonymous survey (its answers name no partner)."""
    return access.sees_every_partner(actor) or survey.anonymous


def _scope(actor: Actor, survey: PsatSurvey, qs: QuerySet) -> QuerySet:
    if actor is SYSTEM:
        return qs
    if actor.is_partner or not actor.has(Perm.ANALYTICS_VIEW):
        return qs.none()
    if program_wide(actor, survey):
        return qs
    return access.scope_partner_owned(actor, qs)


GROUPS = {None: (), "tier": ("tier_id",), "region": ("region",), "survey": ("survey_id",)}


def sums(
    actor: Actor,
    surveys: Collection[PsatSurvey],
    f: PsatFilters = PsatFilters(),  # noqa: B008 (frozen)
    *,
    by: str | None = None,
) -> dict[Any, dict[str, int]]:
    """{group: {responses, score_sum, score_count, promoters, detractors, invited, answered}}
    over the answers and invitations of `surveys` the actor may read. Two queries."""
    group = GROUPS[by]
    out: dict[Any, dict[str, int]] = {}
    if not surveys:
        return {None: {}} if not group else out

    def key_of(row):
        return row[group[0]] if group else None

    def scoped(model) -> QuerySet:
        parts = None
        for survey in surveys:
            qs = _scope(actor, survey, model.objects.filter(survey=survey))
            parts = qs if parts is None else parts | qs
        return _narrow(parts, f)

    answer_sums = {
        "responses": Count("pk"),
        "score_sum": Sum("score_sum"),
        "score_count": Sum("score_count"),
        "promoters": Count("pk", filter=Q(recommend__gte=PROMOTER)),
        "detractors": Count("pk", filter=Q(recommend__lte=DETRACTOR)),
    }
    answers = scoped(PsatResponse)
    rows = (
        answers.values(*group).annotate(**answer_sums).order_by()
        if group
        else [answers.aggregate(**answer_sums)]
    )
    for row in rows:
        out.setdefault(key_of(row), {}).update({k: row[k] or 0 for k in answer_sums})
    invitation_sums = {
        "invited": Count("pk"),
        "answered": Count("pk", filter=Q(responded_at__isnull=False)),
    }
    invitations = scoped(PsatInvitation)
    rows = (
        invitations.values(*group).annotate(**invitation_sums).order_by()
        if group
        else [invitations.aggregate(**invitation_sums)]
    )
    for row in rows:
        out.setdefault(key_of(row), {}).update({k: row[k] or 0 for k in invitation_sums})
    if not group:
        out.setdefault(None, {})
    return out


def breakdown(
    actor: Actor, survey: PsatSurvey, f: PsatFilters, by: str
) -> list[tuple[Any, dict, bool]]:
    """[(group key, its sums, hidden)] by "tier" or "region": an anonymous survey's group of
    fewer than MIN_ANONYMOUS_GROUP answers is hidden (its figures could point at a person)."""
    return [
        (key, values, survey.anonymous and 0 < values.get("responses", 0) < MIN_ANONYMOUS_GROUP)
        for key, values in sums(actor, [survey], f, by=by).items()
    ]


def question_averages(
    actor: Actor,
    survey: PsatSurvey,
    f: PsatFilters = PsatFilters(),  # noqa: B008
) -> list[tuple[str, Decimal | None]]:
    """Each question's mean score (half up to one decimal) — the answers of one survey."""
    totals = [0] * len(survey.questions)
    counts = [0] * len(survey.questions)
    answers = _narrow(_scope(actor, survey, survey.responses.all()), f)
    for scores in answers.values_list("scores", flat=True).iterator():
        for i, score in enumerate(scores[: len(totals)]):
            if score:
                totals[i] += int(score)
                counts[i] += 1
    return [
        (question, _score({"score_sum": totals[i], "score_count": counts[i]}))
        for i, question in enumerate(survey.questions)
    ]


def comments(actor: Actor, survey: PsatSurvey, f: PsatFilters = PsatFilters()) -> QuerySet:  # noqa: B008
    return (
        _narrow(_scope(actor, survey, survey.responses.all()), f)
        .exclude(comment="")
        .order_by("-submitted_at", "-pk")
    )


def surveys_for(actor: Actor) -> QuerySet:
    if actor.is_partner or not actor.has(Perm.ANALYTICS_VIEW):
        return PsatSurvey.objects.none()
    return PsatSurvey.objects.order_by("-opened_at", "-pk")


def score_history(partner_ids: Collection[int]) -> dict[int, list[tuple[Any, Decimal]]]:
    """Each partner's PSAT score in every survey it answered with its name (anonymous answers
    name no partner), oldest first: {partner id: [(survey opened at, score)]}. One query."""
    rows = (
        PsatResponse.objects.filter(partner_id__in=list(partner_ids))
        .values("partner_id", "survey_id", "survey__opened_at")
        .annotate(score_sum=Sum("score_sum"), score_count=Sum("score_count"))
        .order_by("partner_id", "survey__opened_at", "survey_id")
    )
    out: dict[int, list[tuple[Any, Decimal]]] = {}
    for row in rows:
        score = _score(row)
        if score is not None:
            out.setdefault(row["partner_id"], []).append((row["survey__opened_at"], score))
    return out


def score_before(history: list[tuple[Any, Decimal]] | None, moment) -> Decimal | None:
    """The latest score of a `score_history` entry from a survey opened before `moment`."""
    earlier = [score for opened, score in history or () if opened < moment]
    return earlier[-1] if earlier else None


def latest_scores(partner_ids: Collection[int]) -> dict[int, Decimal]:
    """A partner's PSAT score in the latest survey it answered with its name: {partner id:
    score}. One query."""
    return {pid: scores[-1][1] for pid, scores in score_history(partner_ids).items()}


def open_survey_for(user) -> tuple[PsatSurvey, PsatInvitation] | None:
    """The open survey `user` was asked and has not answered yet (the latest)."""
    invitation = (
        PsatInvitation.objects.filter(
            user=user, responded_at__isnull=True, survey__status=SurveyStatus.OPEN
        )
        .select_related("survey")
        .order_by("-survey__opened_at")
        .first()
    )
    return (invitation.survey, invitation) if invitation else None


# --- Sending, reminding, closing -----------------------------------------------------------------


def _portal_url() -> str:
    from tenancy.hosts import tenant_base_url

    return tenant_base_url(require_current_tenant()) + reverse("portal_survey")


def _ask(invitation: PsatInvitation, survey: PsatSurvey, users: dict, *, reminder: int) -> None:
    tenant = require_current_tenant()
    context = {
        "survey": survey,
        "tenant": tenant,
        "url": _portal_url(),
        "reminder": reminder,
        "questions": len(survey.questions),
    }
    subject = (
        _("Reminder: %(title)s closes on %(date)s")
        % {"title": survey.title, "date": survey.closes_on.strftime("%d %b %Y")}
        if reminder
        else _("%(program)s would like your feedback: %(title)s")
        % {"program": tenant.name, "title": survey.title}
    )
    notify(
        user=users[invitation.user_id],
        kind=PSAT_INVITE,
        subject=subject,
        body_text=render_to_string("analytics/email/psat_invite.txt", context),
        url=reverse("portal_survey"),
        source_uuid=survey.uuid,
        idempotency_key=f"psat:{survey.uuid}:{invitation.user_id}:{reminder}",
    )


def _users(ids: Collection[int]) -> dict:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.in_bulk(list(ids))


@transaction.atomic
def survey_open(*, actor: Actor, title: str = "", send: bool = True) -> PsatSurvey:
    """Open a survey and ask every active partner user (one mail each, in this transaction;
    `send=False` only for the demo's past surveys). One survey is open at a time."""
    if actor is not SYSTEM:
        access.require(actor, Perm.ANALYTICS_MANAGE)
    if PsatSurvey.objects.select_for_update().filter(status=SurveyStatus.OPEN).exists():
        raise ValidationError(_("A survey is already open: close it before starting another."))
    people = partner_people()
    if not people:
        raise ValidationError(_("No partner users to ask: no active partner has users yet."))
    config = analytics_settings()
    now = timezone.now()
    local = timezone.localdate(now)
    survey = PsatSurvey.objects.create(
        title=title.strip()
        or _("Partner satisfaction survey, %(half)s %(year)s")
        % {"half": _("first half") if local.month <= 6 else _("second half"), "year": local.year},
        questions=config.questions(),
        anonymous=config.psat_anonymous,
        opened_at=now,
        closes_on=local + timedelta(days=max(config.psat_open_days, 1)),
        created_by=actor.user if actor is not SYSTEM else None,
    )
    invitations = PsatInvitation.objects.bulk_create(
        PsatInvitation(
            tenant=survey.tenant,
            survey=survey,
            user_id=p["user_id"],
            partner_id=p["partner_id"],
            tier_id=p["tier_id"],
            region=p["region"],
            invited_at=now,
        )
        for p in people
    )
    users = _users([p["user_id"] for p in people])
    for invitation in invitations if send else ():
        _ask(invitation, survey, users, reminder=0)
    if actor is not SYSTEM:
        audit_record(
            actor=actor,
            action="analytics.psat_opened",
            target=survey,
            changes={"asked": len(invitations)},
        )
    return survey


@transaction.atomic
def survey_close(*, actor: Actor, survey: PsatSurvey) -> PsatSurvey:
    if actor is not SYSTEM:
        access.require(actor, Perm.ANALYTICS_MANAGE)
    survey = PsatSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status == SurveyStatus.OPEN:
        survey.status = SurveyStatus.CLOSED
        survey.closed_at = timezone.now()
        survey.save(update_fields=["status", "closed_at"])
        if actor is not SYSTEM:
            audit_record(actor=actor, action="analytics.psat_closed", target=survey)
    return survey


@transaction.atomic
def survey_remind(*, survey: PsatSurvey) -> int:
    """Remind everyone asked who has not answered (the Nth reminder once: idempotent)."""
    survey = PsatSurvey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != SurveyStatus.OPEN or survey.reminders_sent >= MAX_REMINDERS:
        return 0
    number = survey.reminders_sent + 1
    waiting = list(survey.invitations.filter(responded_at__isnull=True))
    users = _users([i.user_id for i in waiting])
    for invitation in waiting:
        if invitation.user_id in users and users[invitation.user_id].is_active:
            _ask(invitation, survey, users, reminder=number)
    survey.invitations.filter(pk__in=[i.pk for i in waiting]).update(reminders=number)
    survey.reminders_sent = number
    survey.last_reminded_at = timezone.now()
    survey.save(update_fields=["reminders_sent", "last_reminded_at"])
    return len(waiting)


def survey_cycle() -> dict:
    """The daily run (beat): close surveys past their date, send the reminders due, open the
    next survey when one is due. Each step is idempotent."""
    config = analytics_settings()
    now = timezone.now()
    today = timezone.localdate(now)
    done = {"closed": 0, "reminded": 0, "opened": 0}
    for survey in PsatSurvey.objects.filter(status=SurveyStatus.OPEN):
        if survey.closes_on <= today:
            survey_close(actor=SYSTEM, survey=survey)
            done["closed"] += 1
            continue
        every = timedelta(days=max(config.psat_reminder_days, 1))
        due = survey.opened_at + every * (survey.reminders_sent + 1)
        if survey.reminders_sent < MAX_REMINDERS and now >= due:
            done["reminded"] += survey_remind(survey=survey)
    if (
        config.psat_every_months
        and not PsatSurvey.objects.filter(status=SurveyStatus.OPEN).exists()
    ):
        last = PsatSurvey.objects.order_by("-opened_at").first()
        if last is None or now >= _add_months(last.opened_at, config.psat_every_months):
            try:
                survey_open(actor=SYSTEM)
                done["opened"] = 1
            except ValidationError:
                pass  # nobody to ask yet
    return done


def _add_months(moment, months: int):
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


# --- Answering -----------------------------------------------------------------------------------


@transaction.atomic
def survey_answer(
    *, actor: Actor, survey: PsatSurvey, scores: list[int], recommend: int, comment: str = ""
) -> PsatResponse:
    """A partner user's answer: once per person and survey, while it is open."""
    if not actor.is_partner:
        raise ValidationError(_("Only partner users answer the partner survey."))
    invitation = (
        PsatInvitation.objects.select_for_update()
        .filter(survey=survey, user=actor.user)
        .select_related("survey")
        .first()
    )
    if invitation is None:
        raise ValidationError(_("You were not asked to answer this survey."))
    if invitation.survey.status != SurveyStatus.OPEN:
        raise ValidationError(_("This survey has closed."))
    if invitation.responded_at:
        raise ValidationError(_("You have already answered this survey. Thank you!"))
    if len(scores) != len(survey.questions) or any(
        s is not None and not 1 <= int(s) <= 5 for s in scores
    ):
        raise ValidationError(_("Score each question from 1 to 5."))
    if not 0 <= int(recommend) <= 10:
        raise ValidationError(_("Choose how likely you are to recommend us, from 0 to 10."))
    given = [int(s) for s in scores if s]
    now = timezone.now()
    dims = partner_dimensions_of(invitation.partner_id) or {}
    response = PsatResponse.objects.create(
        survey=survey,
        partner_id=None if survey.anonymous else invitation.partner_id,
        user=None if survey.anonymous else actor.user,
        tier_id=dims.get("tier_id"),
        region=dims.get("region", ""),
        partner_type=dims.get("partner_type", ""),
        scores=[int(s) if s else None for s in scores],
        recommend=int(recommend),
        comment=comment.strip()[:2000],
        score_sum=sum(given),
        score_count=len(given),
        submitted_at=_answer_time(survey, now),
    )
    # Anonymous: the invitation records that the person answered, not when (its time would
    # point at the answer).
    invitation.responded_at = survey.opened_at if survey.anonymous else now
    invitation.save(update_fields=["responded_at"])
    return response


def _answer_time(survey: PsatSurvey, now):
    """An anonymous answer keeps its day only."""
    if not survey.anonymous:
        return now
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)
