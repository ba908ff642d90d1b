"""Error pages: HTML for people, JSON for the API."""

from django.http import HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def unknown_host_response(request):
    if _wants_json(request):
        return JsonResponse({"detail": _("Unknown host.")}, status=404)
    return render(
        request,
        "404.html",
        {"message": _("There is no partner program at this address.")},
        status=404,
    )


def handler403(request, exception=None):
    message = (
        str(exception)
        if exception and str(exception)
        else _("You do not have access to this page.")
    )
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "403.html", {"message": message}, status=403)


def handler404(request, exception=None):
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", {}, status=404)


def handler500(request):
    if _wants_json(request):
        return JsonResponse({"detail": _("Server error. It has been logged.")}, status=500)
    # No request context: context processors may need the very database that just failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    if _wants_json(request):
        return JsonResponse({"detail": _("CSRF check failed.")}, status=403)
    return render(
        request,
        "403.html",
        {
            "message": _(
                "This form expired or was sent from another site. Reload the page and try again."
            )
        },
        status=403,
    )
