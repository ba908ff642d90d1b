"""Portal content for a bench data set: what the partner portal's pages show besides registrations.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_portal_bench \\
        .venv/bin/python bench/portal_content.py                     # the largest tenant, bench-0
    .venv/bin/python bench/portal_content.py --assets 300 --tenant bench-1
    .venv/bin/python bench/portal_content.py --shared                # the shared 1M data set

bench/dealreg.py builds tenants, partners, accounts and registrations only; the portal's asset
list, home page (onboarding checklist) and course pages then measure empty pages. This adds, to
one tenant of a built data set (idempotent: what is there already is kept):

- a five-stage playbook and `--assets` assets over types, products, stages and languages, each
  with 1 to `--max-versions` versions (links, no stored files: the list reads the newest version's
  number and whether it is a file);
- the demo's courses and learning paths (enablement.lms.demo), the partner user enrolled and part-
  way through the first course;
- onboarding steps: every partner reached the agreement, invitation, first-login and profile
  steps (dated over the last months) and the 101; "first asset" is left to do, so the portal
  home shows its getting-started card as a partner part-way through onboarding sees it.

It refuses the shared data set (`prm_bench_dealreg`, which other work measures) unless --shared
is passed.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_dealreg", HERE / "dealreg.py")
bench_dealreg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_dealreg)  # sets the environment (database, settings)

SHARED_DATABASE = "prm_bench_dealreg"
PRODUCTS = ["Cloud Suite", "Edge Gateway", "Analytics", "Data Vault", "Secure Access"]
STAGES = ["Qualify", "Discover", "Propose", "Negotiate", "Close"]
LANGUAGES = ["en", "en", "en", "de", "fr", "es"]


def database_name(url: str | None = None) -> str:
    return (url or os.environ["DATABASE_URL"]).rsplit("/", 1)[-1].split("?", 1)[0]


def add_portal_content(
    tenant_slug: str = "bench-0",
    *,
    assets: int = 120,
    max_versions: int = 5,
    shared: bool = False,
    seed: int = 12,
) -> dict[str, int]:
    """Add the portal content to the tenant (see the module docstring); returns what was added.
    Call after django.setup(). Refuses the shared data set unless `shared`."""
    if database_name() == SHARED_DATABASE and not shared:
        raise SystemExit(
            f"Refusing to add portal content to the shared data set {SHARED_DATABASE!r} "
            "(pass --shared to do it anyway)."
        )
    from django.db import transaction

    from tenancy.context import tenant_context
    from tenancy.models import Tenant

    tenant = Tenant.objects.get(slug=tenant_slug)
    rng = random.Random(seed)
    with tenant_context(tenant), transaction.atomic():
        added = {"assets": 0, "versions": 0, "courses": 0, "milestones": 0}
        added.update(_assets(tenant, rng, assets, max_versions))
        added["courses"] = _courses(tenant)
        added["milestones"] = _milestones(tenant, rng)
    return added


def _assets(tenant, rng: random.Random, count: int, max_versions: int) -> dict[str, int]:
    from django.utils import timezone

    from enablement.assets.models import Asset, AssetType, AssetVersion, PlaybookStage

    if Asset.objects.exists():
        return {}
    stages = PlaybookStage.objects.bulk_create(
        PlaybookStage(tenant=tenant, name=name, position=i, guidance=f"How to {name.lower()}.")
        for i, name in enumerate(STAGES, start=1)
    )
    now = timezone.now()
    types = list(AssetType.values)
    rows = []
    for i in range(count):
        kind = types[i % len(types)]
        product = PRODUCTS[i % len(PRODUCTS)]
        rows.append(
            Asset(
                tenant=tenant,
                title=f"{product} {AssetType(kind).label.lower()} {i:04d}",
                description=f"The {product} {AssetType(kind).label.lower()} for partners. " * 3,
                type=kind,
                product=product if i % 11 else "",
                stage=stages[i % len(stages)] if i % 4 else None,
                language=LANGUAGES[i % len(LANGUAGES)],
                is_published=i % 17 != 16,  # a few drafts
                created_at=now - timedelta(days=400 - i % 365),
                updated_at=now - timedelta(days=i % 90),
            )
        )
    created = Asset.objects.bulk_create(rows)
    versions = []
    for asset in created:
        for number in range(1, rng.randint(1, max_versions) + 1):
            link = number % 3 == 0  # most are files, some links
            versions.append(
                AssetVersion(
                    tenant=tenant,
                    asset=asset,
                    number=number,
                    file="" if link else f"bench/assets/{asset.uuid}-v{number}.pdf",
                    original_name="" if link else f"{asset.title} v{number}.pdf",
                    content_type="" if link else "application/pdf",
                    size=0 if link else 250_000 + number,
                    url=f"https://example.com/assets/{asset.uuid}/v{number}" if link else "",
                    notes=f"Version {number}.",
                    uploaded_at=asset.created_at + timedelta(days=30 * number),
                )
            )
    AssetVersion.objects.bulk_create(versions, batch_size=2000)
    return {"assets": len(created), "versions": len(versions)}


def _courses(tenant) -> int:
    """The demo's courses and paths (as bench/load.py's course page adds them), the partner user
    part-way through their first course."""
    from enablement.lms import demo
    from enablement.lms.models import Course, Enrollment
    from tenancy.models import Membership

    added = 0
    if not Course.objects.exists():
        courses = {spec["title"]: demo._course(tenant, spec) for spec in demo.COURSES}
        demo._paths(tenant, courses)
        added = len(courses)
    membership = Membership.objects.select_related("user", "tenant").get(
        user__email=f"partner@{tenant.slug}.test"
    )
    if not Enrollment.objects.filter(user=membership.user).exists():
        demo._learn(membership, stage=1)
    return added


def _milestones(tenant, rng: random.Random) -> int:
    from django.utils import timezone

    from onboarding.models import Milestone, MilestoneKey
    from partners.models import PartnerOrganization

    K = MilestoneKey
    done = (K.AGREEMENT_SIGNED, K.TEAM_INVITED, K.FIRST_LOGIN, K.PROFILE_COMPLETE)
    now = timezone.now()
    rows = []
    for partner_id in PartnerOrganization.objects.values_list("pk", flat=True):
        signed = now - timedelta(days=rng.randint(30, 700))
        for step, key in enumerate(done):
            at = signed + timedelta(days=step * rng.randint(1, 5))
            rows.append(Milestone(tenant=tenant, partner_id=partner_id, key=key, reached_at=at))
    before = Milestone.objects.count()
    Milestone.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)
    return Milestone.objects.count() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenant", default="bench-0")
    parser.add_argument("--assets", type=int, default=120)
    parser.add_argument("--max-versions", type=int, default=5)
    parser.add_argument(
        "--shared",
        action="store_true",
        help=f"allow the shared data set {SHARED_DATABASE!r} (refused otherwise)",
    )
    args = parser.parse_args()
    if database_name() == SHARED_DATABASE and not args.shared:  # before touching anything
        raise SystemExit(
            f"Refusing to add portal content to the shared data set {SHARED_DATABASE!r} "
            "(set DATABASE_URL to your own bench database, or pass --shared)."
        )
    bench_dealreg.django_setup()
    added = add_portal_content(
        args.tenant, assets=args.assets, max_versions=args.max_versions, shared=args.shared
    )
    print(", ".join(f"{count} {what}" for what, count in added.items()) + " added")


if __name__ == "__main__":
    sys.exit(main())
