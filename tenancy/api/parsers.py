from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from ..hardening import without_nul

NUL = "\x00"


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies with a NUL character ("\\u0000") anywhere are refused with 400: Postgres cannot
    store it, and no text of ours means anything by it. Covers fields that are not CharFields
    (JSON fields, ids read from `request.data`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _holds_nul(data):
            raise ParseError(_("Text must not contain NUL characters."))
        return data


class FormParser(parsers.FormParser):
    """Form bodies lose their NUL characters, as pages' forms do (`tenancy.hardening`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        return without_nul(data) or data


class MultiPartParser(parsers.MultiPartParser):
    """Multipart fields lose their NUL characters; uploaded files are left as they are."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(without_nul(parsed.data) or parsed.data, parsed.files)
