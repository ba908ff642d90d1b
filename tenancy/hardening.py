"""Request hygiene every view relies on without thinking about it.

- `NulByteMiddleware`: Postgres cannot store or compare text holding a NUL character ("\\x00"), so a
  `?q=%00` reaching a filter is a database error (a 500). NUL never means anything in our text, so
  it is stripped from query strings and form bodies before any view reads them. JSON bodies are
  refused by the API's parser (`tenancy.api.parsers`), Django and DRF form fields refuse it too.
- `ApiJsonErrorsMiddleware`: everything under /api/ answers errors as JSON, including Django's own
  404/405/500 pages (debug pages in development) for URLs and failures outside DRF's views.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _

NUL = "\x00"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def without_nul(data: QueryDict) -> QueryDict | None:
    """A copy of `data` with NUL removed from keys and values, or None when there was none."""
    if not any(NUL in key or any(NUL in v for v in values) for key, values in data.lists()):
        return None
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(key.replace(NUL, ""), [v.replace(NUL, "") for v in values])
    cleaned._mutable = False
    return cleaned


class NulByteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path:
            raise Http404
        if "%00" in request.META.get("QUERY_STRING", ""):
            cleaned = without_nul(request.GET)
            if cleaned is not None:
                request.GET = cleaned
                request.META["QUERY_STRING"] = cleaned.urlencode()
        if request.method == "POST" and request.content_type in FORM_TYPES:
            # NOTE: reads the form body now (as CSRF checking does anyway); DRF falls back to
            # request.POST for a multipart body already read, and re-parses urlencoded ones
            # (its CharFields refuse NUL).
            cleaned = without_nul(request.POST)
            if cleaned is not None:
                request._post = cleaned
        return self.get_response(request)


class ApiJsonErrorsMiddleware:
    """Under /api/, an error answered by Django rather than DRF (unknown URL, a failure outside a
    view, a debug page in development) is replaced by `{"detail": ...}` JSON without internals."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
            or getattr(response, "accepted_renderer", None) is not None  # DRF chose its format
        ):
            return response
        messages = {
            404: _("Not found."),
            405: _("Method not allowed."),
            500: _("Server error. It has been logged."),
        }
        detail = messages.get(response.status_code) or response.reason_phrase
        json_response = JsonResponse({"detail": detail}, status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                json_response[header] = response[header]
        return json_response
