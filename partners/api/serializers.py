from rest_framework import serializers

from ..models import PartnerOrganization


class PartnerOrganizationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    channel_manager = serializers.EmailField(
        source="channel_manager.email", read_only=True, default=None
    )

    class Meta:
        model = PartnerOrganization
        fields = [
            "id",
            "name",
            "partner_type",
            "website",
            "channel_manager",
            "is_active",
            "created_at",
        ]
