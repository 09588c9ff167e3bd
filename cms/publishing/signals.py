"""What changes the public site, turned into build triggers.

Each trigger is queued with transaction.on_commit: the build must see the committed change,
and a rolled-back change makes no build. Pages that are not live (a draft, a page scheduled
for later) make none.

Publishes and moves make their trigger from Wagtail's log entry, not from its page_published
or post_page_move signal: the export finds changes by their log entries, and Wagtail sends
those signals before it writes the entry (outside any transaction when an editor presses
Publish), so a build started by the signal could miss the change it was for. Unpublishing and
deleting log first, so their signals are safe to use.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.models import Page, PageLogEntry
from wagtail.signals import page_unpublished

from cms.solutions.models import Organisation, Source

from .changes import SHARED_MODELS, pages_referring_to
from .queue import request_build


def _later(kind: str, description: str, page=None, user=None) -> None:
    if page is not None and page.specific_class in (Page, None):
        return  # the tree's root, or Wagtail's welcome page: not part of the site
    transaction.on_commit(lambda: request_build(kind, description, page=page, user=user))


# Logged page actions that make a build: the trigger's kind, and the verb the Site builds
# view shows ("Published “Heat Pumps”"). A slug change is part of a publish.
LOGGED_CHANGES = {
    "wagtail.publish": ("publish", "Published"),
    "wagtail.publish.scheduled": ("publish", "Published"),
    "wagtail.move": ("move", "Moved"),
}


@receiver(post_save, sender=PageLogEntry)
def page_change_logged(sender, instance, created, raw=False, **kwargs):
    if not created or raw or instance.action not in LOGGED_CHANGES:
        return
    page = Page.objects.filter(pk=instance.page_id, live=True).first()
    if page is not None:
        kind, verb = LOGGED_CHANGES[instance.action]
        _later(kind, f"{verb} “{instance.label}”", page, instance.user)


@receiver(page_unpublished)
def page_went_offline(sender, instance, **kwargs):
    # Wagtail logs an unpublish before it sends this signal.
    _later("unpublish", f"Unpublished “{instance.title}”", instance)


@receiver(pre_delete)
def page_deleted(sender, instance, **kwargs):
    # Deleting a live page removes it from the site; the page row is gone by the time the
    # build runs, so the trigger keeps only its title.
    if isinstance(instance, Page) and type(instance) is not Page and instance.live:
        _later("delete", f"Deleted “{instance.title}”", instance)


@receiver(post_save)
@receiver(post_delete)
def shared_record_changed(sender, instance, **kwargs):
    """An organisation, source or image shown on live pages was saved or deleted."""
    if sender not in SHARED_MODELS or kwargs.get("raw"):
        return
    if not _shown_on_live_pages(instance):
        return
    label = sender._meta.verbose_name
    name = getattr(instance, "name", None) or getattr(instance, "title", None) or str(instance)
    kind = "snippet" if sender in (Organisation, Source) else "image"
    _later(kind, f"Edited {label} “{name}”")


def _shown_on_live_pages(instance) -> bool:
    return Page.objects.live().filter(pk__in=pages_referring_to(instance)).exists()
