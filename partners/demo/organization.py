"""Demo partner organisations: ~40 per tenant across every lifecycle state and partner type, with
full profiles, key contacts, a few applications and a backdated lifecycle history.

The partners prm/demo.py creates (the ones with portal users) get full profiles and become
active. Idempotent: partners are matched by name and left alone once seeded. Fit scores are left
to the IPP demo, which runs after this one and scores every partner.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from tenancy.access import SYSTEM
from tenancy.context import require_current_tenant

from ..models import (
    Application,
    ContactRole,
    LifecycleEvent,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
)
from ..models import LifecycleState as S
from ..models import PartnerType as T
from ..services.organization import normalize_domain, partner_organization_create

COUNTRY_REGION = {
    "US": "NA",
    "CA": "NA",
    "GB": "EMEA",
    "DE": "EMEA",
    "FR": "EMEA",
    "NL": "EMEA",
    "SE": "EMEA",
    "ES": "EMEA",
    "IE": "EMEA",
    "ZA": "EMEA",
    "BR": "LATAM",
    "MX": "LATAM",
    "AU": "APAC",
    "SG": "APAC",
    "IN": "APAC",
    "JP": "APAC",
}
TLD = {"GB": "co.uk", "DE": "de", "FR": "fr", "NL": "nl", "SE": "se", "ES": "es", "BR": "com.br"}

# Per vendor: the partners to add (name, primary type, other types it plays) and the vocabulary
# its partners' profiles draw from (matching the vendor's Ideal Partner Profile in demo/ipp.py).
PROGRAMS: dict[str, dict] = {
    "acme": {
        "partners": [
            ("Bluefin Cloud Resellers", T.RESELLER, [T.MARKETPLACE]),
            ("Cedar Ridge Technology", T.RESELLER, []),
            ("Harborview IT Solutions", T.RESELLER, [T.MSP]),
            ("Northstar Digital Supply", T.RESELLER, []),
            ("Pinecrest Systems", T.RESELLER, [T.REFERRAL]),
            ("Granite Peak Partners", T.RESELLER, []),
            ("Summit Advisory Partners", T.REFERRAL, []),
            ("Brightpath Consulting", T.REFERRAL, [T.MSP]),
            ("Keystone Referrals", T.REFERRAL, []),
            ("Maple & Oak Advisors", T.REFERRAL, []),
            ("Lakeside Advisory", T.REFERRAL, []),
            ("Datalark Software", T.ISV, []),
            ("Quillstack Labs", T.ISV, [T.MARKETPLACE]),
            ("Orbitwise Analytics", T.ISV, []),
            ("Tidepool Data", T.ISV, [T.REFERRAL]),
            ("Lumen Grid Software", T.ISV, []),
            ("Fernway Software", T.ISV, []),
            ("Ironbridge Managed Cloud", T.MSP, [T.RESELLER]),
            ("Skyward Ops", T.MSP, []),
            ("Cloudhaven Services", T.MSP, [T.ISV]),
            ("Redwood Managed IT", T.MSP, []),
            ("Polar Byte MSP", T.MSP, [T.RESELLER]),
            ("Bytecraft Managed Services", T.MSP, []),
            ("DevTools Weekly", T.AFFILIATE, [T.INFLUENCER]),
            ("Cloud Deals Hub", T.AFFILIATE, []),
            ("StackCompare", T.AFFILIATE, []),
            ("The Cluster Podcast", T.INFLUENCER, []),
            ("Ana Ruiz DevRel", T.INFLUENCER, [T.AFFILIATE]),
            ("Cloudcast Academy", T.INFLUENCER, []),
            ("OpenMesh Foundation", T.COMMUNITY, []),
            ("Berlin Cloud Native Meetup", T.COMMUNITY, []),
            ("Nordic DevOps Guild", T.COMMUNITY, [T.INFLUENCER]),
            ("CloudMart Exchange", T.MARKETPLACE, []),
            ("Apex Marketplace Services", T.MARKETPLACE, [T.RESELLER]),
            ("StackShelf Marketplace", T.MARKETPLACE, []),
            ("Vantage Cloud Marketplace", T.MARKETPLACE, []),
        ],
        "countries": ["US", "US", "CA", "GB", "DE", "NL", "SE", "FR", "BR", "MX", "AU", "SG", "IN"],
        "industries": [
            "Technology",
            "Retail",
            "Manufacturing",
            "Financial services",
            "Healthcare",
            "Media",
            "Education",
            "Public sector",
        ],
        "skills": [
            "Kubernetes",
            "AWS",
            "Terraform",
            "Azure",
            "GCP",
            "DevOps",
            "Observability",
            "Serverless",
            "PostgreSQL",
            "Data engineering",
            "Machine learning",
        ],
        "existing": {
            "Northwind Solutions": {
                "legal_name": "Northwind Solutions Inc.",
                "hq_country": "US",
                "regions": ["NA", "EMEA"],
                "industries": ["Retail", "Manufacturing"],
                "employee_band": "201",
                "revenue_band": "50",
                "partner_types": [T.RESELLER, T.MSP],
                "skills": ["Kubernetes", "AWS", "Terraform", "Observability"],
                "sales_motion": "solution",
                "co_marketing": True,
                "planned_certified_staff": 8,
                "description": "Value-added reseller for mid-market manufacturers in the US.",
            },
            "Contoso Managed Services": {
                "legal_name": "Contoso Managed Services Ltd",
                "hq_country": "GB",
                "regions": ["EMEA"],
                "industries": ["Financial services", "Public sector"],
                "employee_band": "51",
                "revenue_band": "10",
                "partner_types": [T.MSP],
                "skills": ["Kubernetes", "Azure", "DevOps"],
                "sales_motion": "consultative",
                "co_marketing": True,
                "planned_certified_staff": 5,
                "description": "24/7 managed Kubernetes for UK financial services.",
            },
            "Fabrikam Integrations": {
                "legal_name": "Fabrikam Integrations GmbH",
                "hq_country": "DE",
                "regions": ["EMEA"],
                "industries": ["Manufacturing", "Technology"],
                "employee_band": "11",
                "revenue_band": "1",
                "partner_types": [T.ISV],
                "skills": ["Data engineering", "PostgreSQL"],
                "sales_motion": "solution",
                "co_marketing": False,
                "planned_certified_staff": 2,
                "description": "Industrial IoT connectors built on our data platform.",
            },
            "Tailspin Referrals": {
                "legal_name": "Tailspin Advisory LLC",
                "hq_country": "US",
                "regions": ["NA"],
                "industries": ["Healthcare"],
                "employee_band": "1",
                "revenue_band": "0",
                "partner_types": [T.REFERRAL],
                "skills": ["AWS"],
                "sales_motion": "consultative",
                "co_marketing": False,
                "planned_certified_staff": 1,
                "description": "Independent cloud advisors for US hospital groups.",
            },
        },
    },
    "globex": {
        "partners": [
            ("Sentinel Supply Co", T.RESELLER, []),
            ("Bastion IT Distribution", T.RESELLER, [T.MARKETPLACE]),
            ("Ramparts Reseller Group", T.RESELLER, []),
            ("Shieldway Technologies", T.RESELLER, [T.MSP]),
            ("Citadel Networks", T.RESELLER, []),
            ("Keystone Security Resellers", T.RESELLER, []),
            ("Trustbridge Advisory", T.REFERRAL, []),
            ("Clearview Risk Partners", T.REFERRAL, []),
            ("Meridian Compliance Consulting", T.REFERRAL, [T.MSP]),
            ("Northgate Referrals", T.REFERRAL, []),
            ("Harbor Risk Advisory", T.REFERRAL, []),
            ("Cipherleaf Software", T.ISV, []),
            ("Vaultline Labs", T.ISV, [T.MARKETPLACE]),
            ("Keyforge Identity", T.ISV, []),
            ("Tracehound Analytics", T.ISV, []),
            ("Lockstep Data", T.ISV, [T.REFERRAL]),
            ("Signalfence Software", T.ISV, []),
            ("Watchtower SOC Services", T.MSP, []),
            ("Bluewall Managed Security", T.MSP, [T.RESELLER]),
            ("Nightshift Cyber Ops", T.MSP, []),
            ("Aegis Managed IT", T.MSP, []),
            ("Ironclad MSSP", T.MSP, [T.RESELLER]),
            ("Fortress Cloud Services", T.MSP, []),
            ("Granite SOC Partners", T.MSP, []),
            ("SecurityDeals Weekly", T.AFFILIATE, []),
            ("CyberReviews Hub", T.AFFILIATE, [T.INFLUENCER]),
            ("InfosecCompare", T.AFFILIATE, []),
            ("The Breach Report Podcast", T.INFLUENCER, []),
            ("Priya Nair Security", T.INFLUENCER, []),
            ("Red Team Academy", T.INFLUENCER, [T.COMMUNITY]),
            ("Open Threat Exchange Guild", T.COMMUNITY, []),
            ("AppSec Munich Chapter", T.COMMUNITY, []),
            ("Zero Trust Practitioners Forum", T.COMMUNITY, []),
            ("SecureStack Marketplace", T.MARKETPLACE, []),
            ("CloudGuard Exchange", T.MARKETPLACE, [T.RESELLER]),
            ("ShieldMart", T.MARKETPLACE, []),
            ("Vendorsphere Marketplace", T.MARKETPLACE, []),
        ],
        "countries": ["US", "US", "GB", "GB", "DE", "DE", "FR", "NL", "IE", "ZA", "AU", "SG", "JP"],
        "industries": [
            "Financial services",
            "Healthcare",
            "Government",
            "Energy",
            "Retail",
            "Manufacturing",
            "Telecommunications",
            "Education",
        ],
        "skills": [
            "SOC",
            "SIEM",
            "Zero Trust",
            "Incident response",
            "Penetration testing",
            "Identity & access",
            "Cloud security",
            "ISO 27001",
            "Endpoint security",
            "Threat intelligence",
        ],
        "existing": {
            "Initech Resellers": {
                "legal_name": "Initech Corporation",
                "hq_country": "US",
                "regions": ["NA"],
                "industries": ["Financial services", "Government"],
                "employee_band": "1001",
                "revenue_band": "250",
                "partner_types": [T.RESELLER],
                "skills": ["SIEM", "Zero Trust", "Endpoint security"],
                "sales_motion": "solution",
                "co_marketing": True,
                "planned_certified_staff": 12,
                "description": "National reseller for banks and federal agencies.",
            },
            "Umbrella Cloud Marketplace": {
                "legal_name": "Umbrella Marketplace BV",
                "hq_country": "NL",
                "regions": ["EMEA", "APAC"],
                "industries": ["Technology"],
                "employee_band": "5001",
                "revenue_band": "1000",
                "partner_types": [T.MARKETPLACE],
                "skills": ["Cloud security"],
                "sales_motion": "transactional",
                "co_marketing": True,
                "planned_certified_staff": 2,
                "description": "Cloud marketplace with private offers in 30 countries.",
            },
            "Hooli Security Services": {
                "legal_name": "Hooli Security Services Ltd",
                "hq_country": "GB",
                "regions": ["EMEA"],
                "industries": ["Healthcare", "Financial services"],
                "employee_band": "201",
                "revenue_band": "50",
                "partner_types": [T.MSP],
                "skills": ["SOC", "SIEM", "Zero Trust", "Incident response"],
                "sales_motion": "consultative",
                "co_marketing": True,
                "planned_certified_staff": 9,
                "description": "Managed SOC for NHS trusts and UK insurers.",
            },
        },
    },
}

# How many partners end in each state (the rest are active).
STATE_COUNTS = {
    S.PROSPECT: 6,
    S.APPLIED: 6,
    S.APPROVED: 4,
    S.CONTRACTED: 4,
    S.SUSPENDED: 3,
    S.RETIRED: 3,
}
FORWARD = [S.PROSPECT, S.APPLIED, S.APPROVED, S.CONTRACTED, S.ACTIVE]
REASONS = {
    S.APPROVED: ["Strong fit with our ICP.", "Good references from two customers.", ""],
    S.CONTRACTED: ["Partner agreement signed.", "MSA and reseller addendum signed."],
    S.ACTIVE: ["Onboarding complete.", "First certified engineer; portal live."],
    S.SUSPENDED: [
        "Invoices overdue for 90 days.",
        "Breach of rules of engagement under review.",
        "Lost their only certified engineer; paused until re-certified.",
    ],
    S.RETIRED: [
        "Outside our target market for now.",
        "Company acquired by a competitor.",
        "No activity for 18 months; agreed to part ways.",
    ],
}
FIRST_NAMES = ["Jana", "Liam", "Sofia", "Kenji", "Amara", "Lucas", "Priya", "Noah", "Elif", "Mateo"]
LAST_NAMES = ["Novak", "Okafor", "Lindqvist", "Tanaka", "Rossi", "Dubois", "Silva", "Kowalski"]
TITLES = ["CEO", "Head of Alliances", "Partner Manager", "CTO", "VP Sales", "Founder"]
MESSAGES = [
    "We already deploy your platform for three customers and want to do it properly.",
    "Our customers keep asking for you; we'd like to resell and support it.",
    "Looking to add a managed offering on top of your product in our region.",
    "We run a large community and would love to work together on content.",
]
BANDS_BY_TYPE = {
    T.RESELLER: (["51", "201", "1001"], ["10", "50", "250"]),
    T.REFERRAL: (["1", "11"], ["0", "1"]),
    T.ISV: (["11", "51", "201"], ["1", "10", "50"]),
    T.MSP: (["51", "201", "1001"], ["10", "50", "250"]),
    T.AFFILIATE: (["1", "11"], ["0", "1"]),
    T.INFLUENCER: (["1"], ["0"]),
    T.COMMUNITY: (["1", "11"], ["0"]),
    T.MARKETPLACE: (["1001", "5001"], ["250", "1000"]),
}
MOTION_BY_TYPE = {
    T.RESELLER: ["transactional", "solution"],
    T.REFERRAL: ["consultative"],
    T.ISV: ["solution"],
    T.MSP: ["solution", "consultative"],
    T.AFFILIATE: ["transactional"],
    T.INFLUENCER: ["transactional", ""],
    T.COMMUNITY: [""],
    T.MARKETPLACE: ["transactional"],
}


def _domain_for(name: str, country: str) -> str:
    stem = "".join(ch for ch in name.lower().replace("&", "and") if ch.isalnum())
    return f"{stem[:40]}.{TLD.get(country, 'com')}"


def _profile(rng: random.Random, program: dict, ptype: str, others: list[str]) -> dict:
    country = rng.choice(program["countries"])
    regions = [COUNTRY_REGION[country]]
    if rng.random() < 0.35:
        regions.append(rng.choice([r for r in ("NA", "EMEA", "APAC", "LATAM") if r not in regions]))
    employees, revenue = BANDS_BY_TYPE[ptype]
    size = rng.randrange(len(employees))
    return {
        "hq_country": country,
        "regions": regions,
        "industries": rng.sample(program["industries"], rng.randint(1, 3)),
        "employee_band": employees[size],
        "revenue_band": revenue[min(size, len(revenue) - 1)],
        "partner_types": [ptype, *others],
        "skills": rng.sample(program["skills"], rng.randint(1, 4)),
        "sales_motion": rng.choice(MOTION_BY_TYPE[ptype]),
        "co_marketing": rng.random() < 0.5,
        "planned_certified_staff": rng.choice([0, 1, 2, 3, 5, 8]) * (1 + size),
    }


def _path(state: str, from_application: bool) -> list[str]:
    """The states a partner went through to reach `state` (its first one is where it started)."""
    start = [S.APPLIED] if from_application else [S.PROSPECT]
    if state in FORWARD:
        # Staff-recruited prospects are approved directly: they never filled the form.
        return start + [
            s
            for s in FORWARD[FORWARD.index(start[0]) + 1 : FORWARD.index(state) + 1]
            if s != S.APPLIED
        ]
    if state == S.SUSPENDED:
        return _path(S.ACTIVE, from_application) + [S.SUSPENDED]
    # Retired: a rejected application, or a partner that left after being active.
    return (start if from_application else _path(S.ACTIVE, False)) + [S.RETIRED]


def _write_history(partner, path, *, manager, applicant_email: str, rng, started) -> None:
    """Backdate the creation event and add one event per later move, ending today-ish."""
    days_total = max((timezone.now() - started).days, len(path))
    step = timedelta(days=days_total // len(path))
    when = started
    first = partner.lifecycle_events.order_by("created_at", "id").first()
    if first is not None:
        first.created_at = when
        if applicant_email:
            first.by_label = f"{applicant_email} (application form)"
        first.save(update_fields=["created_at", "by_label"])
    for previous, state in zip(path, path[1:], strict=False):
        when += step
        LifecycleEvent.objects.create(
            partner=partner,
            from_state=previous,
            to_state=state,
            reason=rng.choice(REASONS.get(state, [""])),
            by=manager,
            by_label=manager.email,
            created_at=when,
        )
    PartnerOrganization.objects.filter(pk=partner.pk).update(
        state=path[-1],
        state_changed_at=when,
        is_active=path[-1] not in (S.SUSPENDED, S.RETIRED),
        created_at=started,
    )


def _contact(partner, rng, role=ContactRole.PRIMARY) -> PartnerContact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    contact, _created = PartnerContact.objects.get_or_create(
        partner=partner,
        email=f"{first.lower()}.{last.lower()}@{partner.domain}",
        defaults={
            "name": f"{first} {last}",
            "title": rng.choice(TITLES) if role == ContactRole.PRIMARY else "Lead engineer",
            "role": role,
            "phone": f"+1 555 01{rng.randint(10, 99)}",
        },
    )
    return contact


def _submitted(partner) -> dict:
    """What the form received: the profile the applicant typed (the partner was made from it)."""
    return {
        "company_name": partner.name,
        "website": partner.website,
        "domain": partner.domain,
        "hq_country": partner.hq_country,
        "regions": partner.regions,
        "employee_band": partner.employee_band,
        "partner_types": partner.partner_types,
        "skills": partner.skills,
    }


def _held_application(rng) -> None:
    """One submission naming a prospect staff already entered, waiting at /console/applications/
    (the form changed nothing of the prospect)."""
    if Application.objects.filter(held_for_review=True).exists():
        return
    prospect = PartnerOrganization.objects.filter(state=S.PROSPECT).order_by("name").first()
    if prospect is None:
        return
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    Application.objects.create(
        partner=prospect,
        held_for_review=True,
        **{
            **_submitted(prospect),
            "company_name": f"{prospect.name} Group",
            "employee_band": "51",
            "skills": [*prospect.skills[:1], "Managed services"],
        },
        contact_name=f"{first} {last}",
        contact_email=f"{first.lower()}.{last.lower()}@{prospect.domain}",
        contact_title="Head of partnerships",
        message=rng.choice(MESSAGES),
        submitted_at=timezone.now() - timedelta(days=2),
    )


def _application(partner, contact, rng, *, submitted, state: str) -> None:
    decided = {S.APPLIED: "", S.RETIRED: "rejected"}.get(state, "approved")
    Application.objects.create(
        partner=partner,
        **_submitted(partner),
        contact_name=contact.name,
        contact_email=contact.email,
        contact_title=contact.title,
        message=rng.choice(MESSAGES),
        submitted_at=submitted,
        decision=decided,
        decided_at=submitted + timedelta(days=3) if decided else None,
        decision_reason=REASONS[S.RETIRED][0] if decided == "rejected" else "",
    )


def _seed_existing(name: str, profile: dict, manager, rng) -> None:
    partner = PartnerOrganization.objects.filter(name=name).first()
    if partner is None or partner.state != S.PROSPECT:
        return  # not created by the people demo, or already seeded
    for field, value in profile.items():
        setattr(partner, field, value)
    partner.domain = normalize_domain(partner.website)
    partner.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
    partner.save()
    started = timezone.now() - timedelta(days=rng.randint(400, 720))
    _contact(partner, rng)
    _write_history(
        partner,
        _path(S.ACTIVE, False),
        manager=partner.channel_manager or manager,
        applicant_email="",
        rng=rng,
        started=started,
    )


def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
    require_current_tenant()
    program = PROGRAMS.get(tenant.slug)
    if program is None:
        return
    rng = random.Random(f"partners-organization-{tenant.slug}")
    managers = [staff["manager"], staff["manager2"]]
    for name, profile in program["existing"].items():
        _seed_existing(name, profile, managers[0], rng)

    rows = program["partners"]
    states = [state for state, n in STATE_COUNTS.items() for _ in range(n)]
    states += [S.ACTIVE] * (len(rows) - len(states))
    random.Random(f"states-{tenant.slug}").shuffle(states)
    for index, ((name, ptype, others), state) in enumerate(zip(rows, states, strict=True)):
        # A generator per partner: the data does not shift when a row is added above it.
        row_rng = random.Random(f"{tenant.slug}-{name}")
        if PartnerOrganization.objects.filter(name=name).exists():
            continue
        profile = _profile(row_rng, program, ptype, others)
        manager = managers[index % 2]
        # Applicants: everyone in "applied", and some further along (one rejected = retired).
        from_application = state == S.APPLIED or (
            state in (S.APPROVED, S.CONTRACTED, S.RETIRED) and index % 2 == 0
        )
        domain = _domain_for(name, profile["hq_country"])
        partner = partner_organization_create(
            actor=SYSTEM,
            name=name,
            partner_type=ptype,
            website=f"https://www.{domain}/",
            channel_manager=manager,
            source=PartnerSource.APPLICATION if from_application else PartnerSource.MANUAL,
            state=S.APPLIED if from_application else S.PROSPECT,
            score=False,
            **profile,
        )
        age = 10 if state in (S.PROSPECT, S.APPLIED) else 120 if state == S.APPROVED else 500
        started = timezone.now() - timedelta(days=row_rng.randint(age // 2 + 1, age))
        contact = _contact(partner, row_rng)
        if state in (S.CONTRACTED, S.ACTIVE, S.SUSPENDED):
            _contact(partner, row_rng, ContactRole.TECHNICAL)
        if from_application:
            _application(partner, contact, row_rng, submitted=started, state=state)
        _write_history(
            partner,
            _path(state, from_application),
            manager=manager,
            applicant_email=contact.email if from_application else "",
            rng=row_rng,
            started=started,
        )
    _held_application(random.Random(f"held-{tenant.slug}"))
    _route_open_applications(tenant, managers)


def _route_open_applications(tenant, managers) -> None:
    """Routing rules by region, and the open applications where they put them: the matched ones
    with their rule's manager, the others in the unassigned queue (the default fallback)."""
    from ..models import ApplicationRoutingRule, AssignedVia
    from ..services.routing import matching_rule

    if ApplicationRoutingRule.objects.exists():
        return
    for position, (name, regions, manager) in enumerate(
        [
            ("Europe, Middle East & Africa", ["EMEA"], managers[0]),
            ("North America", ["NA"], managers[1]),
        ],
        start=1,
    ):
        ApplicationRoutingRule.objects.create(
            tenant=tenant, name=name, position=position, regions=regions, channel_manager=manager
        )
    open_applications = Application.objects.filter(
        decided_at__isnull=True, held_for_review=False, partner__state=S.APPLIED
    ).select_related("partner")
    for application in open_applications:
        rule = matching_rule(application)
        partner = application.partner
        partner.channel_manager = rule.channel_manager if rule else None
        partner.save(update_fields=["channel_manager"])
        if rule:
            application.assigned_via = AssignedVia.RULE
            application.assigned_at = application.submitted_at
            application.routing_rule = rule
            application.save(update_fields=["assigned_via", "assigned_at", "routing_rule"])
