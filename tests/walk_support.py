"""Walking the app as its users do: every console and portal page of every role, for both demo
tenants, and the one check for internal words on a screen. Shared by tests/test_human_words.py
(Django test client) and tests/browser/test_walk.py (Chromium at 1366×768).

What "every page of a role" means here:
1. the role's menu (the navigation registry, `prm.navigation`, filtered by the role's perms):
   each item must open;
2. every link (and htmx `hx-get`) on those pages, followed breadth-first on the tenant's host —
   one URL per URL name, so one object of each kind: a link shown to someone must open for them;
3. every GET page of the console and portal URLconf no link reached, filled with one demo object
   of each kind (`ObjectPicker`): a 403/404 there only says the page is not this role's.
The data is the demo (`prm.demo.seed_demo`), the same `make run` shows.

The checker (`internal_words`) reads only visible text (markup and attributes stripped; `<code>`,
`<pre>`, `<kbd>`, `<samp>` are deliberately technical and `<textarea>` holds what a user edits:
skipped) and reports codes of the known choice lists, model field names, model labels, Python
reprs, Django's raw integer limit and unrendered template placeholders; links to example.com are
reported as placeholders where a real file belongs.
"""

from __future__ import annotations

import hashlib
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
from uuid import uuid4

from django.apps import apps
from django.db import models
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse

# --- Who walks ----------------------------------------------------------------------------------

DEMO_TENANTS = ("acme", "globex")
# The partner organisation of each tenant whose team has every partner role (prm.demo.PARTNERS).
FULL_TEAM_PARTNER = {"acme": "northwind", "globex": "initech"}
CONSOLE_ROLES = ("admin", "manager", "sales", "marketing", "exec")
PORTAL_ROLES = ("partner_admin", "partner_sales", "partner_presales", "partner_marketing")
ROLES = CONSOLE_ROLES + PORTAL_ROLES
PORTAL_LOCAL_PART = {
    "partner_admin": "admin",
    "partner_sales": "sales",
    "partner_presales": "presales",
    "partner_marketing": "marketing",
}


def demo_email(tenant_slug: str, role: str) -> str:
    """The demo login of a role (README's table)."""
    if role in PORTAL_LOCAL_PART:
        return f"{PORTAL_LOCAL_PART[role]}@{FULL_TEAM_PARTNER[tenant_slug]}.example"
    return f"{role}@{tenant_slug}.example"


def surface_of(role: str) -> str:
    return "portal" if role in PORTAL_ROLES else "console"


# --- The URLconf --------------------------------------------------------------------------------

# Paths a walker never opens: sign-out and account screens, Django admin, the API, dev tools,
# files served by the web server.
NOT_WALKED = ("/accounts/", "/admin/", "/api/", "/dev/", "/static/", "/media/", "/healthz")


def _patterns(resolver=None, prefix="") -> Iterator[tuple[str, str, URLPattern]]:
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield route, pattern.name, pattern


@cache
def surface_patterns() -> dict[str, tuple[str, tuple[str, ...]]]:
    """URL name → (surface, kwargs) for every named console/ and portal/ route."""
    found = {}
    for route, name, pattern in _patterns():
        surface = route.split("/", 1)[0]
        if surface in ("console", "portal"):
            found[name] = (surface, tuple(pattern.pattern.regex.groupindex))
    return found


def url_name_of(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


# --- One object of each kind --------------------------------------------------------------------

# URL kwarg → the model whose `uuid` fills it. Kwargs that need more than "the first row the role
# may see" are in ObjectPicker.special below; a kwarg in neither fails loudly (add it here).
UUID_KWARGS = {
    "membership_uuid": "tenancy.Membership",
    "invitation_uuid": "tenancy.Invitation",
    "key_uuid": "tenancy.ApiKey",
    "email_uuid": "tenancy.OutboundEmail",
    "partner_uuid": "partners.PartnerOrganization",
    "contact_uuid": "partners.PartnerContact",
    "application_uuid": "partners.Application",
    "rate_uuid": "partners.ExchangeRate",
    "criterion_uuid": "partners.IppCriterion",
    "tier_uuid": "partners.Tier",
    "proposal_uuid": "partners.TierProposal",
    "rules_uuid": "partners.RulesOfEngagement",
    "play_uuid": "partners.GtmPlay",
    "item_uuid": "partners.SwotItem",
    "import_uuid": "partners.PartnerImport",
    "course_uuid": "lms.Course",
    "attempt_uuid": "lms.QuizAttempt",
    "session_uuid": "live.LiveSession",
    "award_uuid": "certs.CertificationAward",
    "certification_uuid": "certs.Certification",
    "asset_uuid": "assets.Asset",
    "stage_uuid": "assets.PlaybookStage",
    "template_uuid": "onboarding.AgreementTemplate",
    "signature_uuid": "onboarding.AgreementSignature",
    "run_uuid": "onboarding.OnboardingRun",
    "step_uuid": "onboarding.CadenceStep",
    "deal_uuid": "dealreg.DealRegistration",
    "account_uuid": "dealreg.CustomerAccount",
    "dispute_uuid": "dealreg.Dispute",
    "rule_uuid": "dealreg.RoutingRule",
    "extension_uuid": "dealreg.ExtensionRequest",
    "request_uuid": "mdf.FundRequest",
    "fund_uuid": "mdf.Fund",
    "file_uuid": "mdf.ClaimFile",
    "payout_uuid": "mdf.Payout",
    "campaign_template_uuid": "mdf.CampaignTemplate",
    "campaign_uuid": "mdf.Campaign",
    "lead_uuid": "mdf.Lead",
    "endpoint_uuid": "integrations.WebhookEndpoint",
    "connection_uuid": "integrations.CrmConnection",
}


# How a row belongs to a partner organisation, by the first of these fields a model has.
PARTNER_PATHS = (
    ("partner", "partner"),
    ("partner_organization", "partner_organization"),
    ("registration", "registration__partner"),
    ("claim", "claim__partner"),
)


class ObjectPicker:
    """One demo object of each kind for a role: a partner user's own organisation's rows, a
    channel manager's own partners' rows, else the tenant's first. Call inside tenant_context."""

    def __init__(self, tenant, user, membership):
        self.tenant, self.user, self.membership = tenant, user, membership
        self.chosen: dict[str, object] = {}

    def _scoped(self, model) -> models.QuerySet:
        qs = model.objects.all()
        names = {f.name for f in model._meta.get_fields()}
        org = self.membership.partner_organization
        if org is not None:
            if model._meta.label == "partners.PartnerOrganization":
                return qs.filter(pk=org.pk)
            for name, path in PARTNER_PATHS:
                if name in names:
                    return qs.filter(**{path: org})
            if "user" in names:
                return qs.filter(user=self.user)
        elif self.membership.role == "channel_manager":
            if model._meta.label == "partners.PartnerOrganization":
                mine = qs.filter(channel_manager=self.user)
                return mine if mine.exists() else qs
            if "partner" in names:
                mine = qs.filter(partner__channel_manager=self.user)
                return mine if mine.exists() else qs
        return qs

    def first(self, label: str, **filters):
        model = apps.get_model(label)
        return self._scoped(model).filter(**filters).order_by("pk").first()

    def value(self, kwarg: str):
        """The value for a URL kwarg, or None when the demo has no such object."""
        if kwarg in self.chosen:
            return self.chosen[kwarg]
        special = self.special().get(kwarg)
        if special is not None:
            value = special()
        elif kwarg in UUID_KWARGS:
            obj = self.first(UUID_KWARGS[kwarg])
            value = obj.uuid if obj is not None else None
        else:
            raise KeyError(f"walk_support: no demo object for URL kwarg {kwarg!r}; add it")
        self.chosen[kwarg] = value
        return value

    def special(self) -> dict[str, Callable[[], object]]:
        def module():
            course = self.value("course_uuid")
            obj = self.first("lms.CourseModule", course__uuid=course)
            return obj.uuid if obj else None

        def asset_version():
            asset = self.value("asset_uuid")
            obj = self.first("assets.AssetVersion", asset__uuid=asset)
            return obj.uuid if obj else None

        def course():
            obj = self.first("lms.Course", status="published", modules__isnull=False)
            return obj.uuid if obj else None

        def rules_version():
            obj = self.first("partners.RulesOfEngagement", published_at__isnull=False)
            return obj.version if obj else None

        def verification_code():
            obj = self.first("certs.CertificationAward")
            return obj.verification_code if obj else None

        def unsubscribe():
            from onboarding.services.cadence import unsubscribe_token

            return unsubscribe_token(tenant=self.tenant, email=self.user.email)

        def invitation_token():
            from tenancy.models import Invitation
            from tenancy.services import invitation_token as token_of

            obj = Invitation.objects.order_by("pk").first()
            return token_of(obj) if obj else None

        def campaign_key():
            obj = self.first("mdf.Campaign", status="live")
            return obj.key if obj else None

        def link_key():
            obj = self.first("mdf.TrackedLink", campaign__status="live")
            return obj.key if obj else None

        def campaign_unsubscribe():
            from mdf.services.campaigns import UNSUBSCRIBE_SALT
            from tenancy.unsubscribe import unsubscribe_token as token_for

            partner = self.first("partners.PartnerOrganization")
            if partner is None:
                return None
            return token_for(
                tenant=self.tenant, email=self.user.email, salt=UNSUBSCRIBE_SALT, scope=partner.pk
            )

        def board_report():
            # A report is its requester's alone: the role's own, if it asked for one.
            from analytics.models import BoardReport

            obj = BoardReport.objects.filter(requested_by=self.user).order_by("pk").first()
            return obj.uuid if obj else None

        def wizard_step():
            from onboarding.services.progress import WIZARD_STEPS

            return WIZARD_STEPS[0].slug

        def webhook_delivery():
            endpoint = self.value("endpoint_uuid")
            obj = self.first("integrations.WebhookDelivery", endpoint__uuid=endpoint)
            return obj.uuid if obj else None

        return {
            "delivery_uuid": webhook_delivery,
            "action": lambda: "ping",
            "report_uuid": board_report,
            "module_uuid": module,
            "version_uuid": asset_version,
            "course_uuid": course,
            "version": rules_version,
            "code": verification_code,
            "unsubscribe_token": unsubscribe,
            "token": invitation_token,
            "step": wizard_step,
            "key": campaign_key,
            "link_key": link_key,
            "campaign_unsubscribe_token": campaign_unsubscribe,
        }

    def page_picks(self, url_name: str) -> dict[str, object]:
        """Kwargs a page needs of a particular object (a file module for the file download)."""
        if url_name.endswith("module_file"):
            module = self.first("lms.CourseModule", kind="file", file__gt="")
            if module is not None:
                return {"course_uuid": module.course.uuid, "module_uuid": module.uuid}
        if url_name.endswith("signature_contract"):
            signature = self.first("onboarding.AgreementSignature", contract_file__gt="")
            return {"signature_uuid": signature.uuid if signature else None}
        if url_name in ("asset_download", "asset_version_download"):
            # Prefer an asset with a stored file; the demo's link-only ones redirect off-site.
            version = self.first("assets.AssetVersion", file__gt="")
            if version is not None:
                return {"asset_uuid": version.asset.uuid, "version_uuid": version.uuid}
        return {}

    def path(self, url_name: str) -> tuple[str, bool]:
        """(the URL of a page with one object of each kind, whether the demo had each object).
        A kind the demo lacks gets a made-up value: a 405 still tells an action from a page."""
        _surface, kwargs = surface_patterns()[url_name]
        values = self.page_picks(url_name)
        complete = True
        for kwarg in kwargs:
            value = values[kwarg] if kwarg in values else self.value(kwarg)
            if value is None:
                complete = False
                value = {"version": 999, "step": "missing", "code": "missing"}.get(kwarg, uuid4())
            values[kwarg] = value
        return reverse(url_name, kwargs=values), complete


def add_missing_kinds() -> None:
    """Demo-like rows of the kinds the demo itself lacks, so their pages are walked too: a
    finished partner import, an API key per surface, a partner's own webhook endpoint with a
    delivery, and for each full-team partner a dispute over one of its registrations and an
    offline-signed contract."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from dealreg.models import DealRegistration
    from dealreg.services.disputes import dispute_raise
    from integrations import webhooks
    from onboarding.models import AgreementSignature, SignatureMethod
    from partners.models import PartnerImport
    from tenancy import services as tenancy_services
    from tenancy.access import actor_for_user
    from tenancy.context import tenant_context
    from tenancy.models import Tenant, User

    for slug in DEMO_TENANTS:
        tenant = Tenant.objects.get(slug=slug)
        admin = User.objects.get(email=demo_email(slug, "admin"))
        partner_admin = User.objects.get(email=demo_email(slug, "partner_admin"))
        with tenant_context(tenant):
            PartnerImport.objects.create(
                tenant=tenant,
                file=ContentFile(b"name\nWalk Partner\n", name="partners.csv"),
                original_name="partners.csv",
                status="done",
                total_rows=1,
                processed_rows=1,
                created_count=1,
                created_by=admin,
                finished_at=timezone.now(),
            )
            for user in (admin, partner_admin):
                tenancy_services.api_key_create(
                    actor=actor_for_user(user, tenant),
                    name="CRM sync",
                    role="executive" if user == admin else "partner_sales",
                )
            actor = actor_for_user(partner_admin, tenant)
            endpoint, _secret = webhooks.endpoint_create(
                actor=actor, url="https://hooks.partner.example/prm", event_types=["deal.won"]
            )
            # Paused: its test event is logged as not sent (nothing to post to in a walk).
            endpoint.is_active = False
            endpoint.save(update_fields=["is_active"])
            webhooks.endpoint_ping(actor=actor, endpoint=endpoint)
            deal = (
                DealRegistration.objects.filter(
                    partner=actor.partner_organization_id, account__isnull=False
                )
                .order_by("pk")
                .first()
            )
            dispute_raise(
                actor=actor, account=deal.account, registration=deal, reason="We found it first."
            )
            signature = (
                AgreementSignature.objects.filter(partner=actor.partner_organization_id)
                .order_by("pk")
                .first()
            )
            if signature is not None and not signature.contract_file:
                # As if signed on paper and uploaded (what an offline signature keeps).
                signature.method = SignatureMethod.OFFLINE
                signature.contract_sha256 = hashlib.sha256(_MINIMAL_PDF).hexdigest()
                signature.contract_file.save("contract.pdf", ContentFile(_MINIMAL_PDF))


_MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]"
    b"/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


# --- Reading a page -----------------------------------------------------------------------------

# Not words the app says: scripts and styles; deliberately technical text (<code>, <pre>, <kbd>,
# <samp>); what a user typed or is editing (<textarea>).
SKIPPED_TAGS = {"script", "style", "noscript", "code", "pre", "kbd", "samp", "svg", "textarea"}


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.segments: list[str] = []
        self.links: list[str] = []
        self._skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("hx-get"):
            self.links.append(attrs["hx-get"])
        if tag in SKIPPED_TAGS:
            self._skipping.append(tag)

    def handle_endtag(self, tag):
        if self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_data(self, data):
        if not self._skipping:
            text = " ".join(data.split())
            if text:
                self.segments.append(text)


def read_html(html: str) -> tuple[list[str], list[str]]:
    """(visible text segments — one per text node, whitespace collapsed — , link targets)."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.segments, parser.links


# --- The checker --------------------------------------------------------------------------------


def _project_models() -> list[type[models.Model]]:
    ours = ("tenancy", "partners", "enablement", "onboarding", "dealreg", "mdf", "analytics")
    return [m for m in apps.get_models() if m.__module__.split(".")[0] in ours]


def _choices_of(field_) -> list[tuple[object, object]]:
    pairs = list(getattr(field_, "flatchoices", None) or [])
    base = getattr(field_, "base_field", None)  # ArrayField of choices
    if base is not None:
        pairs += list(getattr(base, "flatchoices", None) or [])
    return pairs


def _all_choice_classes(cls=models.Choices) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_choice_classes(sub)


@dataclass(frozen=True)
class Vocabulary:
    """Internal words that must never reach a screen."""

    # snake_case codes (choice values, conflict kinds): wrong wherever they appear as a word.
    snake_codes: frozenset[str]
    # one-word lowercase codes ("submitted", "active"): ordinary English in a sentence, so wrong
    # only when a text node is just the code, or beside a history arrow ("submitted → ...").
    word_codes: frozenset[str]
    field_names: frozenset[str]
    model_labels: frozenset[str]


@cache
def vocabulary() -> Vocabulary:
    codes: set[str] = set()
    for model in _project_models():
        for field_ in model._meta.get_fields():
            for value, label in _choices_of(field_):
                if isinstance(value, str) and value != str(label):
                    codes.add(value)
    for choices in _all_choice_classes():
        if choices.__module__.split(".")[0] in ("tenancy", "partners", "enablement",
                                                "onboarding", "dealreg"):  # fmt: skip
            for value, label in choices.choices:
                if isinstance(value, str) and value != str(label):
                    codes.add(value)
    from dealreg.services.conflicts import KINDS  # kinds are codes, not a choice list

    codes.update(KINDS)
    # Country and region codes (US, EMEA), numbers and SWOT letters read as words to people.
    codes = {c for c in codes if c and re.fullmatch(r"[a-z][a-z0-9_]*", c)}
    field_names = {
        f.name
        for m in _project_models()
        for f in m._meta.concrete_fields
        if "_" in f.name.strip("_")
    }
    labels = set()
    for m in _project_models():
        labels.add(m._meta.label_lower)
        labels.add(m._meta.label)
    return Vocabulary(
        snake_codes=frozenset(c for c in codes if "_" in c),
        word_codes=frozenset(c for c in codes if "_" not in c),
        field_names=frozenset(field_names),
        model_labels=frozenset(labels),
    )


PYTHON_REPR = re.compile(
    r"\[\s*'[^'\]]*'(?:\s*,\s*'[^'\]]*')*\s*\]"  # ['a', 'b']
    r"|\{\s*'[^']*'\s*:"  # {'key': ...
    r"|<[A-Z]\w+: [^>]*>"  # <Model: ...>
    r"|\b(?:True|False)\b"
)
# "None" is English ("None selected", "None yet."); Python's None is a value standing alone or
# after a label ("Owner: None", "None → Approved").
PYTHON_NONE = re.compile(r"^None$|[:=]\s*None\s*$|None\s*(?:→|->)|(?:→|->)\s*None\b")
RAW_LIMIT = re.compile(r"9223372036854775807|2147483647")
TEMPLATE_SYNTAX = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
ARROW = re.compile(r"→|->")
SNAKE_WORD = re.compile(r"(?<![\w.@/-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w@/-])")
DOTTED_WORD = re.compile(r"(?<![\w@/-])[a-z]+\.[A-Za-z]+(?![\w@/-])")


def internal_words(segments: Iterable[str]) -> list[str]:
    """What in these visible text segments is an internal word (empty when the page is clean)."""
    vocab = vocabulary()
    problems: list[str] = []

    def add(kind: str, word: str, segment: str) -> None:
        problem = f"{kind} {word!r} in “{_context(segment, word)}”"
        if problem not in problems:
            problems.append(problem)

    for segment in segments:
        for word in SNAKE_WORD.findall(segment):
            if word in vocab.snake_codes:
                add("choice code", word, segment)
            elif word in vocab.field_names:
                add("field name", word, segment)
        for word in DOTTED_WORD.findall(segment):
            if word in vocab.model_labels:
                add("model label", word, segment)
        bare = segment.strip(" ()[]:,.;·")
        if bare in vocab.word_codes:
            add("choice code", bare, segment)
        if ARROW.search(segment):  # a history line: "submitted → Submitted"
            for part in re.split(r"→|->", segment):
                side = part.strip(" ()[]:,.;·")
                if side in vocab.word_codes or side in vocab.snake_codes:
                    add("choice code", side, segment)
        for pattern, kind in (
            (PYTHON_REPR, "Python value"),
            (PYTHON_NONE, "Python value"),
            (RAW_LIMIT, "raw integer limit"),
            (TEMPLATE_SYNTAX, "template placeholder"),
        ):
            for match in pattern.finditer(segment):
                add(kind, match.group(0).strip(" :=→->"), segment)
    return problems


def _context(text: str, word: str, width: int = 50) -> str:
    at = max(text.find(word), 0)
    start, end = max(0, at - width), min(len(text), at + len(word) + width)
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


PLACEHOLDER_HOSTS = ("example.com", "example.org", "example.net")


def placeholder_links(links: Iterable[str]) -> list[str]:
    """Links to the documentation domains (RFC 2606): a placeholder where a real file belongs."""
    found = sorted(
        {
            link
            for link in links
            if (urlsplit(link).hostname or "").removeprefix("www.") in PLACEHOLDER_HOSTS
        }
    )
    if not found:
        return []
    return [f"{len(found)} placeholder link(s) where a real file belongs, e.g. {found[0]}"]


# --- The walk -----------------------------------------------------------------------------------


@dataclass
class Visit:
    tenant: str
    role: str
    url_name: str
    path: str
    how: str  # "menu", "link on <url name>", "URLconf"
    status: int = 0
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        what = "; ".join(self.problems) if self.problems else f"HTTP {self.status}"
        return f"[{self.tenant} {self.role}] {self.path} ({self.url_name}, via {self.how}): {what}"


@dataclass(frozen=True)
class Walker:
    """Who walks a tenant (its tenant, user, membership and the menu), built by `walker()`."""

    tenant: object
    role: str
    user: object
    membership: object
    menu_paths: tuple[tuple[str, str], ...]  # (url name, path) of each menu item

    @property
    def surface(self) -> str:
        return surface_of(self.role)

    def host(self) -> str:
        return f"{self.tenant.slug}.localhost"


def walker(tenant_slug: str, role: str) -> Walker:
    from prm import navigation
    from tenancy.access import actor_for_user
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant, User
    from tenancy.navigation import flatten, menu

    tenant = Tenant.objects.get(slug=tenant_slug)
    user = User.objects.get(email=demo_email(tenant_slug, role))
    with tenant_context(tenant):
        membership = Membership.objects.select_related("partner_organization").get(user=user)
        actor = actor_for_user(user, tenant)
        items = flatten(
            menu(actor, navigation.PORTAL if role in PORTAL_ROLES else navigation.CONSOLE)
        )
    return Walker(
        tenant=tenant,
        role=role,
        user=user,
        membership=membership,
        menu_paths=tuple((item.url_name, reverse(item.url_name)) for item in items),
    )


def _walkable(path: str) -> bool:
    return path.startswith("/") and not path.startswith(NOT_WALKED)


@dataclass
class Fetched:
    """What a walker's fetch saw at the end of the redirects it followed on the tenant's host."""

    status: int
    path: str
    content_type: str = ""
    segments: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    offsite: str = ""  # where an off-site redirect pointed (not followed)
    # What the fetcher itself found wrong (the browser: overflow, console errors, failed loads).
    problems: list[str] = field(default_factory=list)


OTHER_SURFACE = {"console": "/portal/", "portal": "/console/"}


def walk_pages(
    who: Walker, fetch: Callable[[str], Fetched], *, unlinked: bool = True
) -> list[Visit]:
    """Walk the role's pages with `fetch(path)`; returns every visit, checked. Menu items and
    links must open (2xx); URLconf pages no link reached may answer 403/404 (not this role's
    page) or 405 (an action). Links into the other surface (an e-mail preview's portal links on
    a console page) are not followed: they are the other role's pages. `unlinked=False` walks only
    what a person can reach by clicking (the menu and links)."""
    from tenancy.context import tenant_context

    visits: list[Visit] = []
    seen: set[str] = {name for name, _path in who.menu_paths}
    queue: deque[tuple[str, str, str]] = deque(
        (name, path, "menu") for name, path in who.menu_paths
    )

    def visit(name: str, path: str, how: str) -> None:
        got = fetch(path)
        entry = Visit(who.tenant.slug, who.role, name, path, how, got.status)
        entry.problems += got.problems
        if got.path != path and _walkable(got.path):
            entry.how += f", redirected to {got.path}"
        if got.offsite:
            entry.problems.append(f"redirects off-site to {got.offsite}")
            entry.problems += placeholder_links([got.offsite])
        if got.content_type.startswith("text/html"):
            entry.problems += internal_words(got.segments)
            entry.problems += placeholder_links(got.links)
            for link in got.links:
                target = urlsplit(urljoin(path, link))
                if target.netloc and target.netloc.split(":")[0] != who.host():
                    continue
                if not _walkable(target.path) or target.path.startswith(OTHER_SURFACE[who.surface]):
                    continue
                target_name = url_name_of(target.path)
                if target_name and target_name not in seen:
                    seen.add(target_name)
                    queue.append((target_name, target.path, f"link on {name}"))
        visits.append(entry)

    while queue:
        visit(*queue.popleft())

    if not unlinked:
        return visits
    # The URLconf pages of the role's surface nobody linked to.
    with tenant_context(who.tenant):
        picker = ObjectPicker(who.tenant, who.user, who.membership)
        unlinked = [
            name
            for name, (surface, _kwargs) in sorted(surface_patterns().items())
            if surface == who.surface and name not in seen
        ]
        for name in unlinked:
            path, complete = picker.path(name)
            visit(name, path, "URLconf" if complete else "URLconf, no demo object")
    return visits


def failures(visits: Iterable[Visit]) -> list[Visit]:
    """The visits a person would trip over: a menu item or link that does not open, any 5xx,
    any internal word on a page."""
    bad = []
    for entry in visits:
        linked = entry.how in ("menu", "browser") or entry.how.startswith("link on")
        if entry.status >= 500 or (linked and entry.status >= 400) or entry.problems:
            bad.append(entry)
    return bad


def pages_opened(visits: Iterable[Visit]) -> set[str]:
    return {v.url_name for v in visits if 200 <= v.status < 300}


def is_action(visits: Iterable[Visit], url_name: str) -> bool:
    """A POST-only route (405 to GET): an action, not a page."""
    return any(v.url_name == url_name and v.status == 405 for v in visits)
