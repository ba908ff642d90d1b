"""The platform admin site: for platform operators at a platform host, across tenants."""

from allauth.account.decorators import secure_admin_login
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import services
from .access import Actor, is_platform_operator
from .audit import audit_record
from .context import tenant_context
from .models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Tenant,
    User,
    member_organization_model,
)
from .scoping import TenantOwnedModel

# Platform operators only, only at a platform host, and only with TOTP enrolled.
admin.site.has_permission = is_platform_operator
# Log in through allauth (rate limits, MFA), never through the admin's own password form.
admin.site.login = secure_admin_login(admin.site.login)


class TenantOwnedAdminForm(forms.ModelForm):
    """A tenant-owned row in the admin. Foreign keys to other tenant-owned rows must be of the
    row's tenant, and model validation (unique constraints query the scoped manager) runs inside
    that tenant. A new row's tenant is chosen on the form (the model field is not editable)."""

    def _row_tenant(self) -> Tenant | None:
        if self.instance.tenant_id is not None:
            return self.instance.tenant
        return getattr(self, "cleaned_data", {}).get("row_tenant")

    def clean(self):
        cleaned = super().clean()
        tenant = self._row_tenant()
        if tenant is not None:
            for name, value in list(cleaned.items()):
                values = value if isinstance(value, (list, tuple, models.QuerySet)) else [value]
                if any(
                    isinstance(item, TenantOwnedModel) and item.tenant_id != tenant.pk
                    for item in values
                ):
                    self.add_error(name, _("Choose one of %(tenant)s.") % {"tenant": tenant})
        return cleaned

    def _get_validation_exclusions(self):
        # The tenant is not a form field, but unique constraints that lead with it must be checked.
        exclude = super()._get_validation_exclusions()
        exclude.discard("tenant")
        return exclude

    def _post_clean(self):
        tenant = self._row_tenant()
        if tenant is None:
            return  # "choose a tenant" is already on the form; nothing to validate against
        self.instance.tenant = tenant
        with tenant_context(tenant):
            super()._post_clean()


class TenantOwnedAddForm(TenantOwnedAdminForm):
    row_tenant = forms.ModelChoiceField(queryset=Tenant.objects.all(), label=_("tenant"))


class UnscopedAdmin(admin.ModelAdmin):
    """Tenant-owned rows seen across tenants: deliberate platform work, hence .unscoped().

    Choices for foreign keys to tenant-owned models are read unscoped too (the scoped manager
    raises at a platform host), limited to the row's tenant once it has one; saves and deletes
    are written to that tenant's audit log."""

    form = TenantOwnedAdminForm

    def get_queryset(self, request):
        return self.model.objects.unscoped().select_related("tenant")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "tenant"] if obj is not None else readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._prm_admin_tenant = obj.tenant if obj is not None else None
        if obj is None:
            kwargs["form"] = type("AddForm", (TenantOwnedAddForm, self.form), {})
        return super().get_form(request, obj, change=change, **kwargs)

    def _tenant_owned_field(self, db_field, request, form_class, **kwargs):
        """A choice field over unscoped rows of the related tenant-owned model. Built here, not by
        db_field.formfield(): that reads the related model's scoped manager, which raises at a
        platform host even when a queryset is passed."""
        queryset = db_field.related_model.objects.unscoped().select_related("tenant")
        tenant = getattr(request, "_prm_admin_tenant", None)
        if tenant is not None:
            queryset = queryset.filter(tenant=tenant)
        field = form_class(
            queryset=queryset,
            required=not db_field.blank,
            label=capfirst(db_field.verbose_name),
            help_text=db_field.help_text,
            **kwargs,
        )
        if tenant is None:  # a new row: partners of every tenant, so say whose
            field.label_from_instance = lambda row: f"{row} ({row.tenant})"
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if issubclass(db_field.related_model, TenantOwnedModel):
            return self._tenant_owned_field(db_field, request, forms.ModelChoiceField, **kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if issubclass(db_field.related_model, TenantOwnedModel):
            return self._tenant_owned_field(
                db_field, request, forms.ModelMultipleChoiceField, **kwargs
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _audit(self, request, obj, action: str, changes: dict) -> None:
        actor = Actor(tenant=obj.tenant, user=request.user)
        action = f"admin.{obj._meta.model_name}.{action}"
        audit_record(actor=actor, action=action, target=obj, changes=changes)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        with tenant_context(obj.tenant):
            super().save_model(request, obj, form, change)
            changes = {"fields": sorted(form.changed_data)}
            self._audit(request, obj, "changed" if change else "added", changes)

    @transaction.atomic
    def save_related(self, request, form, formsets, change):
        with tenant_context(form.instance.tenant):
            super().save_related(request, form, formsets, change)

    @transaction.atomic
    def delete_model(self, request, obj):
        with tenant_context(obj.tenant):
            self._audit(request, obj, "deleted", {})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
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


class MembershipAdminForm(TenantOwnedAdminForm):
    # Tenancy stores the organisation's id only (docs/architecture.md, "Who owns a user's
    # organisation"); the choice is offered over the registered organisation model, unscoped.
    partner_organization = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Partner organisation")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["partner_organization"]
        tenant = self.instance.tenant if self.instance.tenant_id else None
        queryset = member_organization_model().objects.unscoped().select_related("tenant")
        if tenant is not None:
            queryset = queryset.filter(tenant=tenant)
        else:  # a new row: partners of every tenant, so say whose
            field.label_from_instance = lambda row: f"{row} ({row.tenant})"
        field.queryset = queryset
        if self.instance.partner_organization_id:
            self.initial.setdefault("partner_organization", self.instance.partner_organization_id)

    def _post_clean(self):
        organization = self.cleaned_data.get("partner_organization")
        self.instance.partner_organization_id = organization.pk if organization else None
        super()._post_clean()

    def clean(self):
        cleaned = super().clean()
        try:
            services._validate_role_and_org(
                cleaned.get("role"), cleaned.get("partner_organization")
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Membership)
class MembershipAdmin(UnscopedAdmin):
    form = MembershipAdminForm
    exclude = ["partner_organization_id"]
    list_display = ["user", "tenant", "role", "partner_organization", "is_active"]
    list_filter = ["role", "is_active"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The organisation is a form field of ours, not a model field (the relation is not
        # editable): keep its name out of the model form's fields, the form declares it.
        fields = kwargs.get("fields")
        if fields is None and "fields" not in kwargs:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        if fields is not None:
            kwargs["fields"] = [name for name in fields if name != "partner_organization"]
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change or "role" in form.changed_data:
            with tenant_context(obj.tenant):
                services.run_membership_changed_hooks(obj)


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdmin):
    list_display = ["email", "tenant", "role", "created_at", "accepted_at", "revoked_at"]
    readonly_fields = ["invited_by", "created_at", "accepted_at", "accepted_by"]

    def has_add_permission(self, request) -> bool:
        # An invitation is only useful emailed: `manage.py create_tenant` for a tenant's first
        # admin, the console's team page for everyone else.
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(UnscopedAdmin):
    list_display = ["name", "tenant", "prefix", "role", "created_at", "revoked_at"]
    exclude = ["key_hash"]
    readonly_fields = ["prefix", "scopes", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # A key's secret is shown once, to the member who creates it (console or portal), and
        # the key answers only while its creator is an active member: nothing to create here.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(UnscopedAdmin):
    list_display = ["created_at", "tenant", "actor_label", "action", "target_label"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
