"""Site builds: what asked for them, how they went, and the webhooks they sent.

A Build is one run of export → build → deploy. Triggers (a publish, a webhook, a retry …)
join the one pending build, so a burst of publishes makes one build; the database itself
guarantees at most one pending and one running build.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Build(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Building"
        LIVE = "live", "Live"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    full = models.BooleanField(default=False, help_text="Re-export and re-render everything.")
    attempt = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    not_before = models.DateTimeField(help_text="Quiet period: starts no earlier than this.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid running it")
    release = models.CharField(max_length=40, blank=True, help_text="Release id on the site")
    mode = models.CharField(max_length=12, blank=True)  # full or incremental
    pages = models.PositiveIntegerField(null=True, blank=True)
    rendered = models.PositiveIntegerField(null=True, blank=True)
    changed_urls = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    verified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the live release was last checked against the CMS"
    )
    drift = models.JSONField(
        default=list, blank=True, help_text="What that check found different (empty: nothing)"
    )

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="pending"), name="one_pending_build"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_running_build"
            ),
        ]
        permissions = [("rollback_site", "Can switch the public site back to an earlier release")]

    def __str__(self) -> str:
        return f"Build #{self.pk} ({self.get_status_display()})"

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def reasons(self) -> list[dict]:
        """The triggers as an editor reads them: the same change asked for again (a page
        published twice before the build ran, or saved twice by one publish) shows once,
        with how many times."""
        grouped: dict[tuple, dict] = {}
        for trigger in self.triggers.all():
            key = (trigger.description, trigger.user_id, trigger.url)
            if key in grouped:
                grouped[key]["times"] += 1
            else:
                grouped[key] = {"trigger": trigger, "times": 1}
        return list(grouped.values())


class BuildTrigger(models.Model):
    """One reason for a build: the first one starts a build, later ones join it."""

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="triggers")
    kind = models.CharField(max_length=20)  # publish, unpublish, move, delete, snippet, …
    description = models.CharField(max_length=300)
    page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    url = models.CharField(max_length=500, blank=True, help_text="The page's path on the site")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class WebhookReceipt(models.Model):
    """An accepted incoming webhook, by its `webhook-id`: a replay is refused."""

    message_id = models.CharField(max_length=200, unique=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    build = models.ForeignKey(Build, null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return self.message_id


class WebhookDelivery(models.Model):
    """One outgoing event to one endpoint, retried with backoff until it is accepted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    build = models.ForeignKey(Build, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=500)
    event = models.CharField(max_length=50, default="site.deployed")
    message_id = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.event} → {self.url}"


class SiteChange(models.Model):
    """One change that can alter the public site, written in the same transaction as the
    change itself (an outbox). The export reads them through /api/v2/changes/, and each one
    adds a trigger to the pending build once it is committed (see changes.py)."""

    class Kind(models.TextChoices):
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        MOVED = "moved", "Moved"
        DELETED = "deleted", "Deleted"
        PRIVACY = "privacy", "Privacy changed"
        REDIRECT = "redirect", "Redirect changed"
        EDITED = "edited", "Shared record edited"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Not a foreign key: the change of a deleted page outlives it.
    page_id = models.BigIntegerField(null=True, blank=True)
    subtree = models.BooleanField(default=False, help_text="The pages below it changed too.")
    pages = models.JSONField(default=list, blank=True, help_text="Ids of the pages it shows on")
    description = models.CharField(max_length=300)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.description


class ShownPage(models.Model):
    """A page the public site has shown: live and public when a change to it was recorded.
    /api/v2/changes/ lists a page that is not public now only if it is here, so the ids of
    pages that were never public (drafts under private sections, …) are never told."""

    page_id = models.BigIntegerField(primary_key=True)

    def __str__(self) -> str:
        return str(self.page_id)


class SerialisedPage(models.Model):
    """A live page as the headless API lists it, kept so that a full export does not make
    every page's JSON again. `version` goes up in the transaction of every change that
    touches the page (changes.py); the stored JSON is used only if it was made at the
    version that is current, and while the addresses it links to by path are as they were
    (see SiteAddress), so JSON made while a change was being committed is never used.

    `whole_version` goes up only with the changes that may touch any part of the page, not
    with an organisation or a source edited: JSON made at the current `whole_version` is
    used with only the fields that show those records made again (a renamed organisation
    named on 800 pages does not make 800 bodies again).
    """

    page_id = models.BigIntegerField(primary_key=True)  # not a key: rows may outlive pages
    version = models.PositiveIntegerField(default=0)
    made_at_version = models.PositiveIntegerField(null=True)
    whole_version = models.PositiveIntegerField(default=0)
    made_at_whole_version = models.PositiveIntegerField(null=True)
    variant = models.CharField(max_length=300, blank=True, help_text="Host, type and fields")
    linked_paths = models.JSONField(
        default=list, blank=True, help_text="Tree paths its rich text links to (“/glossary/”)"
    )
    address_versions = models.JSONField(
        default=dict, blank=True, help_text="SiteAddress versions of those paths when made"
    )
    json = models.TextField(blank=True)

    def __str__(self) -> str:
        return str(self.page_id)


class SiteAddress(models.Model):
    """An address (a page's tree path, and every path below it) where a page appeared or
    which a page left, and how many times. A link by path shows only while a live, public
    page is at its address: kept JSON with such a link is used only while the counts of
    its addresses are those it was made with."""

    path = models.TextField(primary_key=True)
    version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.path
