"""The platform admin site: for platform operators at a platform host, across tenants."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .access import user_has_totp
from .models import ApiKey, AuditEvent, Invitation, Membership, Tenant, User


def _platform_only(request) -> bool:
    """Platform operators only, only at a platform host, and only with TOTP enrolled."""
    user = request.user
    return (
        getattr(request, "tenant", None) is None
        and user.is_active
        and user.is_staff
        and user_has_totp(user)
    )


admin.site.has_permission = _platform_only
# Log in through allauth (rate limits, MFA), never through the admin's own password form.
admin.site.login = secure_admin_login(admin.site.login)


class UnscopedAdmin(admin.ModelAdmin):
    """Tenant-owned rows seen across tenants: deliberate platform work, hence .unscoped()."""

    def get_queryset(self, request):
        return self.model.objects.unscoped().select_related("tenant")


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "custom_domain", "is_active", "created_at"]
    search_fields = ["name", "slug", "custom_domain"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "date_joined"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Platform", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ()
    list_filter = ["is_active", "is_staff"]


@admin.register(Membership)
class MembershipAdmin(UnscopedAdmin):
    list_display = ["user", "tenant", "role", "partner_organization", "is_active"]
    list_filter = ["role", "is_active"]
    readonly_fields = ["tenant"]


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdmin):
    list_display = ["email", "tenant", "role", "created_at", "accepted_at", "revoked_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(UnscopedAdmin):
    list_display = ["name", "tenant", "prefix", "role", "created_at", "revoked_at"]
    exclude = ["key_hash"]


@admin.register(AuditEvent)
class AuditEventAdmin(UnscopedAdmin):
    list_display = ["created_at", "tenant", "actor_label", "action", "target_label"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False
