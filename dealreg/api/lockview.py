"""API: customer accounts with their lock (direct sales and vendor staff). `?q=` searches by name
or domain (the deal-lock view's search, 25 best matches); `claim/` makes the caller the owner."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import CustomerAccount
from ..selectors import lockview as selectors
from ..services.claims import account_claim


class LockSerializer(serializers.Serializer):
    registration = serializers.UUIDField(source="uuid")
    partner = serializers.UUIDField(source="partner.uuid")
    partner_name = serializers.CharField(source="partner.name")
    since = serializers.DateTimeField(source="approved_at", allow_null=True)
    until = serializers.DateTimeField(source="expires_at", allow_null=True)
    channel_manager_name = serializers.SerializerMethodField()
    channel_manager_email = serializers.EmailField(
        source="partner.channel_manager.email", default=None
    )

    def get_channel_manager_name(self, lock) -> str | None:
        manager = lock.partner.channel_manager
        return (manager.full_name or manager.email) if manager else None


class CustomerAccountSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    country = serializers.CharField(read_only=True)
    owner = serializers.EmailField(
        source="owner.email", read_only=True, allow_null=True, default=None
    )
    locked = serializers.SerializerMethodField()
    lock = serializers.SerializerMethodField()
    open_disputes = serializers.IntegerField(read_only=True)

    class Meta:
        model = CustomerAccount
        fields = [
            "id",
            "name",
            "domain",
            "country",
            "region",
            "owner",
            "claimed_at",
            "locked",
            "lock",
            "open_disputes",
        ]
        read_only_fields = fields

    def _lock(self, account):
        locks = getattr(account, "current_locks", None) or []
        return locks[0] if locks else None

    def get_locked(self, account) -> bool:
        return self._lock(account) is not None

    @extend_schema_field(LockSerializer(allow_null=True))
    def get_lock(self, account) -> dict | None:
        lock = self._lock(account)
        return LockSerializer(lock).data if lock is not None else None


class CustomerAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = CustomerAccountSerializer
    required_perms = (Perm.DEAL_LOCKS_VIEW,)

    def scoped_queryset(self):
        return selectors.accounts_for(self.actor).order_by("name", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Account name or domain."),
            OpenApiParameter(
                "page",
                int,
                description="With `q`: pages of 25, best matches first; `next` "
                "is null on the last page (`count` is the rows of this page).",
            ),
        ]
    )
    def list(self, request):
        query = request.query_params.get("q", "").strip()
        if query:
            found = selectors.lock_search_page(self.actor, query, request.query_params.get("page"))
            url = request.build_absolute_uri()
            return Response(
                {
                    "count": len(found.accounts),
                    "next": replace_query_param(url, "page", found.number + 1)
                    if found.has_next
                    else None,
                    "previous": replace_query_param(url, "page", found.number - 1)
                    if found.has_previous
                    else None,
                    "results": self.get_serializer(found.accounts, many=True).data,
                }
            )
        return super().list(request)

    @extend_schema(request=None, responses=CustomerAccountSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, id=None):
        account_claim(actor=self.actor, account=self.get_object())
        return Response(self.get_serializer(self.scoped_queryset().get(uuid=id)).data)


def register(router) -> None:
    router.register("customer-accounts", CustomerAccountViewSet, basename="customer-account")
