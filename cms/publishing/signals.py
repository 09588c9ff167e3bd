"""What changes the public site, turned into build triggers.

Wagtail sends these inside the publishing transaction, so each trigger is queued with
transaction.on_commit: the build must see the committed change, and a rolled-back change
makes no build. Pages that are not live (a draft, a page scheduled for later) make none.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver
from wagtail.models import Page
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms.api.views import SHARED_MODELS, pages_referring_to
from cms.solutions.models import Organisation, Source

from .queue import request_build


def _later(kind: str, description: str, page=None, user=None) -> None:
    if page is not None and page.specific_class in (Page, None):
        return  # the tree's root, or Wagtail's welcome page: not part of the site
    transaction.on_commit(lambda: request_build(kind, description, page=page, user=user))


@receiver(page_published)
def page_went_live(sender, instance, revision=None, **kwargs):
    if instance.live:
        user = getattr(revision, "user", None)
        _later("publish", f"Published “{instance.title}”", instance, user)


@receiver(page_unpublished)
def page_went_offline(sender, instance, **kwargs):
    _later("unpublish", f"Unpublished “{instance.title}”", instance)


@receiver(post_page_move)
def page_moved(sender, instance, **kwargs):
    if instance.live:
        _later("move", f"Moved “{instance.title}”", instance)


@receiver(page_slug_changed)
def page_slug_changed_handler(sender, instance, instance_before=None, **kwargs):
    if instance.live:
        _later("move", f"Changed the URL of “{instance.title}”", instance)


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
