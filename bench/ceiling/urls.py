"""One indexed primary-key SELECT returned as JSON, and a constant JSON answer."""

import os
import random

from django.db import connection
from django.http import JsonResponse
from django.urls import path

MAX_ID = int(os.environ.get("CEILING_MAX_ID", "1000"))


def one_query(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, status, customer_name FROM dealreg_dealregistration WHERE id = %s",
            [random.randint(1, MAX_ID)],
        )
        row = cursor.fetchone()
    return JsonResponse({"row": list(row) if row else None})


def constant(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("one/", one_query), path("constant/", constant)]
