from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Services raise Django's ValidationError/PermissionDenied; the API answers them as 400/403
    JSON like DRF's own errors."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        # A refusal may carry machine-readable detail for the client (e.g. a locked benefit:
        # which steps are missing and where to do them) as `payload`.
        payload = getattr(exc, "payload", None)
        exc = exceptions.PermissionDenied(str(exc) or None)
        if payload:
            response = drf_exception_handler(exc, context)
            response.data = {"detail": response.data["detail"], **payload}
            return response
    return drf_exception_handler(exc, context)
