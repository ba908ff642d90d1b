"""File modules: uploads checked by content and stored under the tenant, served by an
access-checked download (portal and console), listed in the API."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enablement.lms.models import CourseModule, CourseStatus, ModuleKind
from tenancy.context import tenant_context
from tenancy.tests.files import MINIMAL_PDF, PNG_BYTES, pdf_upload, renamed_exe, stored_files

from .factories import make_course


def _course(world, **kwargs):
    with tenant_context(world.tenant):
        return make_course(world.tenant, title="Partner 101", quiz=False, modules=1, **kwargs)


def _add_file_module(world, course, upload):
    return world.client(world.admin).post(
        reverse("console_learning_course", args=[course.uuid]),
        {
            "module-title": "Program guide",
            "module-kind": "file",
            "module-position": 2,
            "module-minutes": 5,
            "module-file": upload,
        },
    )


def _file_module(world, course, name="guide.pdf") -> CourseModule:
    response = _add_file_module(world, course, pdf_upload(name))
    assert response.status_code == 302, response.content
    with tenant_context(world.tenant):
        return course.modules.get(kind=ModuleKind.FILE)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_uploaded_file_is_stored_under_the_tenant_and_downloaded_by_a_partner(acme, settings):
    course = _course(acme)
    module = _file_module(acme, course, name="Program guide.pdf")
    assert module.file.name.startswith(f"lms/{acme.tenant.pk}/{module.uuid}-")
    assert module.file.name.endswith(".pdf") and "guide" not in module.file.name
    assert (module.file_name, module.file_type) == ("Program guide.pdf", "application/pdf")
    assert stored_files(settings.MEDIA_ROOT) == [module.file.name]

    client = acme.client(acme.partner_sales)
    download = reverse("portal_module_file", args=[course.uuid, module.uuid])
    page = client.get(reverse("portal_module", args=[course.uuid, module.uuid])).content.decode()
    assert download in page and "/media/" not in page
    response = client.get(download)
    assert response.status_code == 200
    assert _body(response) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="Program guide.pdf"' in response["Content-Disposition"]


def test_media_urls_are_not_served(acme):
    course = _course(acme)
    module = _file_module(acme, course)
    response = acme.client(acme.partner_sales).get(f"/media/{module.file.name}")
    assert response.status_code == 404


def test_renamed_executable_is_a_field_error_and_nothing_is_saved(acme, settings):
    course = _course(acme)
    response = _add_file_module(acme, course, renamed_exe("guide.pdf"))
    assert response.status_code == 400
    assert "This file type is not allowed" in response.content.decode()
    with tenant_context(acme.tenant):
        assert not course.modules.filter(kind=ModuleKind.FILE).exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_replacing_the_file_checks_it_and_removes_the_old_one(
    acme, settings, django_capture_on_commit_callbacks
):
    course = _course(acme)
    module = _file_module(acme, course)
    old_name = module.file.name
    url = reverse("console_learning_module", args=[course.uuid, module.uuid])
    fields = {
        "action": "module",
        "module-title": "Program guide",
        "module-kind": "file",
        "module-position": 2,
        "module-minutes": 5,
    }
    client = acme.client(acme.admin)
    refused = client.post(url, {**fields, "module-file": renamed_exe("v2.pdf")})
    assert (
        refused.status_code == 400 and "This file type is not allowed" in refused.content.decode()
    )
    assert stored_files(settings.MEDIA_ROOT) == [old_name]
    with django_capture_on_commit_callbacks(execute=True):
        replaced = client.post(
            url, {**fields, "module-file": SimpleUploadedFile("map.png", PNG_BYTES)}
        )
    assert replaced.status_code == 302
    with tenant_context(acme.tenant):
        module.refresh_from_db()
    assert (module.file_name, module.file_type) == ("map.png", "image/png")
    assert stored_files(settings.MEDIA_ROOT) == [module.file.name] != [old_name]
    # The console shows the current file by name, linked to the checked download.
    page = client.get(url).content.decode()
    assert reverse("console_learning_module_file", args=[course.uuid, module.uuid]) in page
    assert "map.png" in page and "/media/" not in page


def test_portal_download_owner_wrong_role_and_other_tenant(acme, globex):
    course = _course(acme)
    module = _file_module(acme, course)
    url = reverse("portal_module_file", args=[course.uuid, module.uuid])
    assert acme.client(acme.partner_marketing).get(url).status_code == 200
    assert acme.client(acme.admin).get(url).status_code == 200  # staff preview
    # Direct sales has neither the portal nor the program pages.
    assert acme.client(acme.sales).get(url).status_code == 403
    # The same course and module ids asked for on another tenant's host: unknown there.
    assert globex.client(globex.partner_sales).get(url).status_code == 404
    assert globex.client(globex.admin).get(url).status_code == 404
    assert acme.client().get(url).status_code == 302  # anonymous: to the login page


def test_portal_download_of_a_course_the_partner_cannot_see_is_404(acme):
    course = _course(acme, audiences=["marketing"])
    module = _file_module(acme, course)
    url = reverse("portal_module_file", args=[course.uuid, module.uuid])
    assert acme.client(acme.partner_marketing).get(url).status_code == 200
    assert acme.client(acme.partner_sales).get(url).status_code == 404
    with tenant_context(acme.tenant):
        course.status = CourseStatus.DRAFT
        course.save(update_fields=["status"])
    assert acme.client(acme.partner_marketing).get(url).status_code == 404


def test_console_download_owner_wrong_role_and_other_tenant(acme, globex):
    course = _course(acme, status=CourseStatus.DRAFT)
    module = _file_module(acme, course)
    url = reverse("console_learning_module_file", args=[course.uuid, module.uuid])
    response = acme.client(acme.executive).get(url)
    assert response.status_code == 200 and _body(response) == MINIMAL_PDF
    assert acme.client(acme.partner_admin).get(url).status_code == 403
    assert acme.client(acme.sales).get(url).status_code == 403
    assert globex.client(globex.admin).get(url).status_code == 404


def test_a_module_that_is_not_a_file_has_no_download(acme):
    course = _course(acme)
    with tenant_context(acme.tenant):
        text = course.modules.get(kind=ModuleKind.TEXT)
    url = reverse("portal_module_file", args=[course.uuid, text.uuid])
    assert acme.client(acme.partner_sales).get(url).status_code == 404


def test_api_lists_the_download_of_file_modules(acme, globex):
    course = _course(acme)
    module = _file_module(acme, course)
    response = acme.api(acme.partner_sales).get(f"/api/v1/courses/{course.uuid}/")
    assert response.status_code == 200
    modules = {m["kind"]: m for m in response.json()["modules"]}
    assert modules["file"]["download_url"] == reverse(
        "portal_module_file", args=[course.uuid, module.uuid]
    )
    assert modules["file"]["file_name"] == "guide.pdf"
    assert modules["text"]["download_url"] is None
    assert (
        globex.api(globex.partner_sales).get(f"/api/v1/courses/{course.uuid}/").status_code == 404
    )


def test_migration_moves_existing_files_under_the_tenant(acme, settings):
    import importlib

    from django.apps import apps
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    migration = importlib.import_module(
        "enablement.lms.migrations.0003_module_files_moved_under_tenant"
    )
    course = _course(acme)
    with tenant_context(acme.tenant):
        old = {}
        for name, data in (("guide.pdf", MINIMAL_PDF), ("program-guide.txt", b"Read me\n")):
            module = CourseModule.objects.create(
                tenant=acme.tenant, course=course, title=name, kind=ModuleKind.FILE, position=9
            )
            stored = default_storage.save(f"courses/2026/01/{name}", ContentFile(data))
            CourseModule.objects.filter(pk=module.pk).update(file=stored)
            old[module.pk] = stored
    migration.move_files(apps, None)
    with tenant_context(acme.tenant):
        moved = {m.title: m for m in CourseModule.objects.filter(pk__in=old)}
    pdf, text = moved["guide.pdf"], moved["program-guide.txt"]
    assert pdf.file.name.startswith(f"lms/{acme.tenant.pk}/{pdf.uuid}-")
    assert (pdf.file_name, pdf.file_type) == ("guide.pdf", "application/pdf")
    assert text.file.name.endswith(".bin")
    assert (text.file_name, text.file_type) == ("program-guide.txt", "application/octet-stream")
    assert sorted(stored_files(settings.MEDIA_ROOT)) == sorted([pdf.file.name, text.file.name])
    response = acme.client(acme.partner_sales).get(
        reverse("portal_module_file", args=[course.uuid, text.uuid])
    )
    assert response.status_code == 200 and _body(response) == b"Read me\n"
    assert 'filename="program-guide.txt"' in response["Content-Disposition"]
