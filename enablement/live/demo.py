"""Demo live sessions: four upcoming (one nearly full, with a waitlist) and two past ones with
attendance taken, registered by the tenant's demo partner users.

Idempotent: a tenant that already has live sessions is left alone. Rows are written directly
(no confirmation emails for demo registrations).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tenancy.models import Membership
from tenancy.roles import PARTNER_ROLES

from .models import LiveSession, Registration, RegistrationStatus

SESSIONS = [
    # title, description, days from today, hour (UTC), duration (h), capacity, registrants
    (
        "Partner 101: live kick-off",
        "Meet the channel team, tour the portal and ask anything about the program.",
        14,
        15,
        1,
        40,
        4,
    ),
    (
        "Solution architecture deep dive",
        "For pre-sales engineers: reference architectures, sizing and integration patterns.",
        21,
        14,
        2,
        6,
        8,  # nearly full: 6 confirmed, the rest on the waitlist
    ),
    (
        "Selling the value: discovery workshop",
        "Role-play discovery calls and build a business case with the ROI calculator.",
        30,
        16,
        1.5,
        25,
        3,
    ),
    (
        "Co-marketing campaign planning",
        "Plan a joint campaign, use the asset library and request MDF.",
        40,
        15,
        1,
        30,
        2,
    ),
    (
        "Quarterly product update (recording available)",
        "What shipped this quarter and what it means for your customers.",
        -20,
        15,
        1,
        50,
        5,
    ),
    (
        "Hands-on lab: deployment basics",
        "Install, configure and troubleshoot a first deployment in a sandbox.",
        -8,
        13,
        3,
        12,
        4,
    ),
]


def seed(tenant, *, staff) -> None:
    if LiveSession.objects.exists():
        return
    partner_users = [
        m.user
        for m in Membership.objects.filter(role__in=sorted(PARTNER_ROLES), is_active=True)
        .select_related("user")
        .order_by("id")
    ]
    instructors = [staff.get("manager"), staff.get("marketing"), staff.get("admin")]
    today = timezone.now().replace(minute=0, second=0, microsecond=0)
    for index, (title, description, days, hour, hours, capacity, wanted) in enumerate(SESSIONS):
        starts_at = (today + timedelta(days=days)).replace(hour=hour)
        instructor = instructors[index % len(instructors)]
        session = LiveSession.objects.create(
            tenant=tenant,
            title=title,
            description=description,
            instructor=instructor,
            instructor_name=(instructor.get_full_name() if instructor else "Program team"),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            location="Online",
            join_url=f"https://meet.example.com/{tenant.slug}-{index + 1}",
            capacity=capacity,
        )
        past = days < 0
        # Rotate through partner users so different people attend different sessions.
        chosen = [
            partner_users[(index + offset) % len(partner_users)]
            for offset in range(min(wanted, len(partner_users)))
        ]
        for position, user in enumerate(dict.fromkeys(chosen)):
            confirmed = position < capacity
            queued_at = starts_at - timedelta(days=10, minutes=-position)
            Registration.objects.create(
                tenant=tenant,
                session=session,
                user=user,
                status=(
                    RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED
                ),
                queued_at=queued_at,
                confirmed_at=queued_at if confirmed else None,
                # Past sessions: most came, one in four did not show.
                attended=past and confirmed and position % 4 != 3,
                attendance_marked_at=starts_at + timedelta(hours=hours) if past else None,
            )
