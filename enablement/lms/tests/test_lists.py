"""Course lists (console → Learning, portal → All courses) through list_page: filters with field
errors, sorting, pages, CSV export of everything matching, flat query counts, access trio."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enablement.lms.models import Course, CourseStatus, Enrollment
from tenancy.context import tenant_context

from .factories import make_course


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _courses(world, n=6):
    with tenant_context(world.tenant):
        courses = [
            make_course(
                world.tenant,
                title=f"Course {i}",
                quiz=False,
                modules=i % 3 + 1,
                audiences=["marketing"] if i == 1 else [],
                status=CourseStatus.DRAFT if i == 5 else CourseStatus.PUBLISHED,
            )
            for i in range(n)
        ]
        Course.objects.filter(pk=courses[0].pk).update(is_foundation=True, estimated_hours=3)
        now = timezone.now()
        Enrollment.objects.create(
            tenant=world.tenant, course=courses[2], user=world.partner_sales, completed_at=now
        )
        Enrollment.objects.create(tenant=world.tenant, course=courses[3], user=world.partner_sales)
        Enrollment.objects.create(tenant=world.tenant, course=courses[3], user=world.partner_admin)
    return courses


def test_console_course_list_filters_sorts_and_exports(acme):
    _courses(acme)
    client = acme.client(acme.executive)
    url = reverse("console_learning")
    drafts = client.get(url + "?status=draft")
    assert [c.title for c in drafts.context["listing"].page] == ["Course 5"]
    sales = client.get(url + "?audience=sales").context["listing"].page
    assert "Course 1" not in {c.title for c in sales}  # marketing only
    by_enrolled = client.get(url + "?sort=-enrolled").context["listing"].page
    assert [c.title for c in by_enrolled][:2] == ["Course 3", "Course 2"]
    foundation = client.get(url + "?foundation=yes").context["listing"].page
    assert [c.title for c in foundation] == ["Course 0"]
    bad = client.get(url + "?status=bogus")
    assert bad.context["listing"].page.count == 0
    assert bad.context["listing"].form.errors["status"]
    rows = _rows(client.get(url + "?format=csv&sort=title"))
    assert rows[0] == [
        "Course",
        "Status",
        "Foundation (101)",
        "Audience",
        "Estimated hours",
        "Modules",
        "Enrolled",
        "Completed",
    ]
    assert rows[1] == ["Course 0", "Published", "Yes", "Everyone", "3.0", "1", "0", "0"]
    assert rows[4] == ["Course 3", "Published", "No", "Everyone", "1.0", "1", "2", "0"]
    assert len(rows) == 1 + 6


def test_console_course_list_wrong_role_403_other_tenant_sees_none(acme, globex):
    _courses(acme)
    url = reverse("console_learning")
    assert acme.client(acme.partner_admin).get(url).status_code == 403
    assert acme.client(acme.sales).get(url + "?format=csv").status_code == 403
    assert len(_rows(globex.client(globex.admin).get(url + "?format=csv"))) == 1


def test_portal_course_catalogue_shows_visible_courses_with_my_progress(acme, globex):
    _courses(acme)
    url = reverse("portal_courses")
    client = acme.client(acme.partner_sales)
    page = client.get(url)
    assert page.status_code == 200
    # Course 1 is for marketing, Course 5 a draft: neither is listed for a sales user.
    assert [c.title for c in page.context["listing"].page] == [
        "Course 0",
        "Course 2",
        "Course 3",
        "Course 4",
    ]
    done = client.get(url + "?progress=completed").context["listing"].page
    assert [c.title for c in done] == ["Course 2"]
    started = client.get(url + "?progress=in_progress").context["listing"].page
    assert [c.title for c in started] == ["Course 3"]
    longest = client.get(url + "?sort=-hours").context["listing"].page
    assert [c.title for c in longest][0] == "Course 0"
    rows = _rows(client.get(url + "?format=csv&q=Course 3"))
    assert rows[1:] == [["Course 3", "1.0", "1", "No", "Enrolled"]]
    assert client.get(url + "?progress=bogus").context["listing"].form.errors["progress"]
    assert acme.client(acme.sales).get(url).status_code == 403
    assert globex.client(globex.partner_sales).get(url).context["listing"].page.count == 0


def test_course_lists_queries_do_not_grow(acme):
    _courses(acme, n=4)
    console, portal = acme.client(acme.admin), acme.client(acme.partner_sales)
    counts = []
    for extra in (0, 8):
        with tenant_context(acme.tenant):
            for i in range(extra):
                make_course(acme.tenant, title=f"More {i}", modules=2)
        for client, url in (
            (console, reverse("console_learning")),
            (portal, reverse("portal_courses")),
        ):
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
            counts.append(len(ctx.captured_queries))
    assert counts[:2] == counts[2:]
