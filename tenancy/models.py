from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .outbox import OutboxRow, pending_index
from .registry import Registry
from .roles import PARTNER_ROLES, Role
from .scoping import TenantOwnedModel
from .timezones import DEFAULT_TIME_ZONE, validate_time_zone

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$",
    _("Use lowercase letters, digits and hyphens (a valid host name label)."),
)
domain_validator = RegexValidator(
    r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    _("Enter a host name such as partners.example.com."),
)


class Tenant(models.Model):
    """A vendor organisation running a partner program."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=63, unique=True, validators=[slug_validator])
    custom_domain = models.CharField(
        _("custom domain"),
        max_length=253,
        unique=True,
        null=True,
        blank=True,
        validators=[domain_validator],
        help_text=_("Optional host that serves this tenant, e.g. partners.acme.com."),
    )
    brand_color = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a hex colour like #1f6feb."))],
    )
    logo_url = models.URLField(_("logo URL"), blank=True)
    support_email = models.EmailField(_("support email"), blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=DEFAULT_TIME_ZONE,
        validators=[validate_time_zone],
        help_text=_("Times are shown in it to members who have not chosen their own."),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


# Titles written before a name ("Mr. Patrick Martinez" is greeted as "Patrick").
HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"})


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Global: one email, one password, one MFA, memberships in any number of tenants."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text=_("Platform operator: may use the platform admin site.")
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        """The name to greet someone by: the first word of the full name, past any honorific."""
        return self.greeting_name or self.email.split("@")[0]

    @property
    def greeting_name(self) -> str:
        words = self.full_name.split()
        while len(words) > 1 and words[0].rstrip(".").lower() in HONORIFICS:
            words = words[1:]
        return words[0] if words else ""


class Membership(TenantOwnedModel):
    """A user's place in one tenant: a role, and for partner roles the partner organisation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    # A partner role's organisation, by id. The relation `partner_organization` and the database
    # foreign key come from the app that defines organisations (register_member_organization).
    partner_organization_id = models.BigIntegerField(
        _("partner organisation"), null=True, blank=True, db_index=True
    )
    # An IANA name; empty: the program's (Tenant.time_zone). Activated per request
    # (tenancy.middleware.TimeZoneMiddleware).
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="membership_one_per_tenant"),
            models.CheckConstraint(
                name="membership_partner_role_has_org",
                condition=(
                    Q(role__in=sorted(PARTNER_ROLES), partner_organization_id__isnull=False)
                    | (~Q(role__in=sorted(PARTNER_ROLES)) & Q(partner_organization_id__isnull=True))
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "partner_organization_id", "role"], name="membership_org_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES


class Invitation(TenantOwnedModel):
    """An emailed invitation to join a tenant with a role.

    The link carries a signed, time-limited token of the invitation's UUID: no secret is stored.
    """

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    partner_organization_id = models.BigIntegerField(
        _("partner organisation"), null=True, blank=True, db_index=True
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for a tenant's first admin, invited by the platform."),
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "email"], name="invitation_email")]

    def __str__(self) -> str:
        return f"Invitation for {self.email}"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


def all_scopes() -> list[str]:
    return ["*"]


class ApiKey(TenantOwnedModel):
    """A bearer key for the REST API, of the tenant (vendor role) or of one partner org."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    role = models.CharField(_("acts as"), max_length=32, choices=Role.choices)
    partner_organization_id = models.BigIntegerField(
        _("partner organisation"), null=True, blank=True, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the key may reach (tenancy.api.scopes): ["*"] everything its role allows, or
    # "<area>:read" / "<area>:write" entries.
    scopes = models.JSONField(_("scopes"), default=all_scopes)

    class Meta:
        indexes = [models.Index(fields=["tenant", "partner_organization_id"], name="apikey_org")]

    @property
    def scope_labels(self) -> list[str]:
        """The key's scopes in words ("Deal registration: read and write")."""
        from .api.scopes import scope_choices

        words = dict(scope_choices())
        return [str(words.get(scope, scope)) for scope in self.scopes or ()]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(TenantOwnedModel):
    """Who changed what, when, from where. Written by services in the same transaction."""

    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text=_("Email or API key at the time."))
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=254, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="audit_recent"),
            models.Index(fields=["tenant", "target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.target_label}"


class ProcessedTask(models.Model):
    """A claim that a task delivery ran to completion: the second delivery of an id is a no-op."""

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True)
    processed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}"


class OutboundEmail(TenantOwnedModel, OutboxRow):
    """Every email the system sends, of every app: written in the transaction of the change that
    causes it, delivered by a worker (tenancy.emails), kept as the tenant's mail log.

    No foreign key to any app above tenancy: the mail names what it is about by `kind` (a key
    registered by the sending app), `partner_uuid` (the partner it concerns, for per-partner logs
    and a channel manager's view) and `source_uuid` (the object that caused it, e.g. a cadence
    step)."""

    # None only for platform mail (no tenant: e.g. an account email on the platform host).
    tenant = models.ForeignKey(
        "tenancy.Tenant", on_delete=models.CASCADE, null=True, blank=True, editable=False
    )
    kind = models.CharField(max_length=64)
    partner_uuid = models.UUIDField(null=True, blank=True)
    source_uuid = models.UUIDField(null=True, blank=True)
    recipient_email = models.CharField(max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The message as rendered when the row was created: a retry or "send again" sends exactly
    # this, even after what it was rendered from changed.
    from_email = models.CharField(max_length=300, blank=True)
    reply_to = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)  # e.g. List-Unsubscribe
    # [{"filename", "mimetype", "content_b64"}]
    attachments = models.JSONField(default=list, blank=True)
    # Carries a credential (password reset, invitation or confirmation link): the mail log shows
    # who and when, never the body.
    sensitive = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="outboundemail_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "-created_at"], name="outboundemail_recent"),
            models.Index(
                fields=["tenant", "partner_uuid", "-created_at"], name="outboundemail_partner_log"
            ),
            models.Index(fields=["tenant", "status"], name="outboundemail_by_status"),
            models.Index(fields=["tenant", "source_uuid"], name="outboundemail_source"),
            pending_index("outboundemail"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_email} ({self.status})"

    @property
    def kind_label(self) -> str:
        from .emails import mail_kind_label

        return mail_kind_label(self.kind)


class NotificationChannel(models.TextChoices):
    """How a person wants to hear about one kind of event."""

    BOTH = "both", _("Email and in the app")
    MAIL = "mail", _("Email only")
    IN_APP = "in_app", _("In the app only")


class Notification(TenantOwnedModel):
    """One event told to one person in the app (the bell): written by
    tenancy.notifications.notify() with the mail of the same event, in the same transaction."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=64)  # a declared mail kind (tenancy.emails.mail_kind)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    # The page that shows the event: a path on the tenant's host or an absolute http(s) URL.
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["tenant", "recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def kind_label(self) -> str:
        from .emails import mail_kind_label

        return mail_kind_label(self.kind)


class NotificationPreference(TenantOwnedModel):
    """A person's channel for one kind of event in one program; the row with an empty kind is
    their default for every kind without a row of its own. No row at all: both channels."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=64, blank=True)
    channel = models.CharField(
        _("channel"),
        max_length=16,
        choices=NotificationChannel.choices,
        default=NotificationChannel.BOTH,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "kind"], name="notificationpreference_one_per_kind"
            ),
            models.CheckConstraint(
                name="notificationpreference_channel_valid",
                condition=Q(channel__in=NotificationChannel.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind or 'default'} · {self.channel}"


# --- The organisation of partner memberships ---------------------------------------------------
# Memberships, invitations and API keys of partner roles belong to a partner organisation, which
# the partner program (a floor above) defines. Tenancy stores its id only, so neither its code nor
# its migrations depend on that app; the app registers its model here, from its models module,
# and gets the relation `partner_organization` on all three (docs/architecture.md, "Who owns a
# user's organisation"). Its migrations add the database foreign keys.
member_organization: Registry[type[models.Model]] = Registry(
    "tenancy.member_organization", required=True, single=True
)
MEMBER_ORGANIZATION_OWNERS: tuple[type[models.Model], ...] = (Membership, Invitation, ApiKey)


def register_member_organization(model: type[models.Model]) -> None:
    """Make `model` the organisation of partner memberships: adds `partner_organization` to
    Membership (reverse: `memberships`), Invitation and ApiKey — a relation over their
    `partner_organization_id` column that reads, filters, joins, assigns and cascades like a
    foreign key, but is no field of any migration."""
    member_organization.register(model, key="model")
    for owner in MEMBER_ORGANIZATION_OWNERS:
        relation = models.ForeignObject(
            model,
            on_delete=models.CASCADE,
            from_fields=["partner_organization_id"],
            to_fields=["id"],
            null=True,
            blank=True,
            editable=False,  # forms edit the id (or pick from member_organization_model())
            related_name="memberships" if owner is Membership else "+",
            verbose_name=_("partner organisation"),
        )
        relation.contribute_to_class(owner, "partner_organization", private_only=True)


def member_organization_model() -> type[models.Model]:
    """The registered organisation model (PartnerOrganization), for tenancy's generic uses."""
    return member_organization.one()


class DomainEvent(TenantOwnedModel):
    """A change other systems care about (a deal approved, a tier changed...): written by the app
    that made the change, in the change's own transaction (`tenancy.events.emit`), so a change
    that rolls back leaves no event and a committed one always has its event. `integrations`
    reads these rows and delivers them (webhooks, CRM connectors); no app below it knows who
    listens. `uuid` is the event's id, the receivers' idempotency key."""

    type = models.CharField(max_length=64)
    aggregate = models.CharField(max_length=32)  # "deal", "partner", "certification"...
    aggregate_uuid = models.UUIDField()
    # The partner whose data it is (a partner's own webhook endpoints see only theirs).
    partner_uuid = models.UUIDField(null=True, blank=True)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=timezone.now)
    # When the relay handed it to its subscribers (null: not yet).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="domainevent_recent"),
            models.Index(fields=["tenant", "aggregate_uuid", "id"], name="domainevent_aggregate"),
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="domainevent_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregate_uuid}"
