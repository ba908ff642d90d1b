"""API: exchange rates into the program currency. Program staff read them; program managers (or a
key with that role) set and remove them: POST with a currency already there replaces its rate,
so a daily job from the finance system can simply post every rate."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import ExchangeRate
from ..services import currency as services


class ExchangeRateSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    rate = serializers.DecimalField(
        max_digits=20,
        decimal_places=10,
        coerce_to_string=True,
        help_text="What 1 unit of `currency` is worth in the program currency.",
    )

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "rate", "updated_at"]
        read_only_fields = ["updated_at"]


class ExchangeRateWriteSerializer(serializers.Serializer):
    currency = serializers.CharField(max_length=3, help_text="ISO 4217, e.g. EUR.")
    rate = serializers.CharField(max_length=24, help_text="e.g. 1.08 (checked by the service).")


class ExchangeRateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    serializer_class = ExchangeRateSerializer
    required_perms = (Perm.PROGRAM_VIEW,)

    def scoped_queryset(self):
        return ExchangeRate.objects.all()

    @extend_schema(request=ExchangeRateWriteSerializer, responses={201: ExchangeRateSerializer})
    def create(self, request):
        payload = ExchangeRateWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rate = services.exchange_rate_set(actor=self.actor, **payload.validated_data)
        return Response(self.get_serializer(rate).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.exchange_rate_delete(actor=self.actor, rate=instance)


def register(router) -> None:
    router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
