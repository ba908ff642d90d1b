"""Existing file modules: move each file under `lms/<tenant id>/`, named by the module's uuid, and
record its original name and its type as sniffed from the content. A file whose content is not an
allowed document keeps its bytes and is served as `application/octet-stream` (an attachment),
since deleting a program's course material in a migration would be worse; re-upload it."""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import migrations

from tenancy.uploads import DOCUMENT_KINDS, sniff_upload, tenant_path, unique_name


def move_files(apps, schema_editor):
    from django.core.exceptions import ValidationError

    CourseModule = apps.get_model("lms", "CourseModule")
    modules = CourseModule._base_manager.exclude(file="").exclude(file__startswith="lms/")
    for module in modules.iterator():
        old_name = module.file.name
        try:
            with default_storage.open(old_name, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            continue  # nothing to move; the download answers 404 as before
        upload = ContentFile(data, name=old_name)
        try:
            sniffed = sniff_upload(upload, allowed=DOCUMENT_KINDS, max_bytes=2**31)
            ext, mime = sniffed.ext, sniffed.mime
        except ValidationError:
            ext, mime = "bin", "application/octet-stream"
        new_name = default_storage.save(
            tenant_path("lms", module.tenant_id, unique_name(str(module.uuid), ext)), upload
        )
        CourseModule._base_manager.filter(pk=module.pk).update(
            file=new_name,
            file_name=module.file_name or old_name.rsplit("/", 1)[-1][:200],
            file_type=mime,
        )
        default_storage.delete(old_name)


class Migration(migrations.Migration):
    dependencies = [("lms", "0002_module_file_under_tenant")]

    operations = [migrations.RunPython(move_files, migrations.RunPython.noop)]
