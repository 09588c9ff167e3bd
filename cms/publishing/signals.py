"""Which changes alter the public site, recorded as they happen (changes.record).

Model signals, not admin views, so that a change counts however it is made: in the admin,
by the importer, by a management command (publish_scheduled) or through the ORM. A page
counts while it is live or when it stops being live; drafts and pages scheduled for later
make no change until they go live. (A queryset's update() sends no signal: code that
changes what readers see saves the objects.)
"""

from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_save
from django.dispatch import receiver
from wagtail.contrib.redirects.models import Redirect
from wagtail.models import CollectionViewRestriction, Page, PageViewRestriction, Site
from wagtail.signals import page_slug_changed, post_page_move

from cms.glossary.models import GlossaryPage, GlossaryTerm

from .changes import (
    RECORD_MODELS,
    SHARED_MODELS,
    live_pages_showing,
    outdate_every_serialised_page,
    record,
)
from .models import SiteChange

# Saving a draft (save_revision) or locking a page, an organisation or a source updates only
# these columns of its row.
DRAFT_FIELDS = {
    "wagtail_admin_comments",
    "latest_revision",
    "latest_revision_created_at",
    "draft_title",
    "has_unpublished_changes",
    "locked",
    "locked_at",
    "locked_by",
}


def _on_site(page) -> bool:
    """A page of the site, as its own type or as a plain Page (publish_scheduled saves
    those); the tree's root and Wagtail's welcome page are not part of the site."""
    return isinstance(page, Page) and page.specific_class not in (Page, None)


def _draft_only(update_fields) -> bool:
    return update_fields is not None and set(update_fields) <= DRAFT_FIELDS


@receiver(pre_save)
def remember_what_readers_saw(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _on_site(instance) or instance.pk is None or _draft_only(update_fields):
        return
    instance._before_save = (
        Page.objects.filter(pk=instance.pk).values("live", "title", "url_path").first()
    )


@receiver(post_save)
def page_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _on_site(instance) or _draft_only(update_fields):
        return
    before = getattr(instance, "_before_save", None) or {"live": False}
    instance._before_save = None
    if instance.live:
        # A new title or path shows on the pages below it too (breadcrumbs, links).
        renamed = before["live"] and (
            before["title"] != instance.title or before["url_path"] != instance.url_path
        )
        record(
            SiteChange.Kind.PUBLISHED,
            f"Published “{instance.title}”",
            page=instance,
            subtree=renamed,
            new_address=renamed or not before["live"],
            address_before=before["url_path"] if renamed else None,
        )
    elif before["live"]:
        record(
            SiteChange.Kind.UNPUBLISHED,
            f"Unpublished “{instance.title}”",
            page=instance,
            subtree=True,
        )


@receiver(post_page_move)
def page_moved(sender, instance, url_path_before, url_path_after, **kwargs):
    if instance.live and url_path_before != url_path_after:
        _record_move(instance, url_path_before)


@receiver(page_slug_changed)
def page_renamed(sender, instance, instance_before, **kwargs):
    # Sent once the publish that changed the slug is committed; the URLs below it changed.
    if instance.live:
        _record_move(instance, instance_before.url_path)


def _record_move(page, address_before: str) -> None:
    """The page, and the pages below it, left `address_before` for new addresses."""
    record(
        SiteChange.Kind.MOVED,
        f"Moved “{page.title}”",
        page=page,
        subtree=True,
        address_before=address_before,
    )


@receiver(pre_delete)
def page_deleted(sender, instance, **kwargs):
    # Deleting a page deletes its plain Page row too: count the page once, as its own type.
    if _on_site(instance) and type(instance) is not Page and instance.live:
        record(SiteChange.Kind.DELETED, f"Deleted “{instance.title}”", page=instance)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def page_privacy_changed(sender, instance, **kwargs):
    page = Page.objects.filter(pk=instance.page_id).first()
    if page is not None and page.live:
        record(
            SiteChange.Kind.PRIVACY,
            f"Changed who can see “{page.title}”",
            page=page,
            subtree=True,
        )


@receiver(post_save, sender=CollectionViewRestriction)
@receiver(post_delete, sender=CollectionViewRestriction)
def collection_privacy_changed(sender, instance, **kwargs):
    """Images and documents of the collection are shown, or not, on the pages using them."""
    pages = set()
    for model in SHARED_MODELS:
        if hasattr(model, "collection"):
            for item in model.objects.filter(collection_id=instance.collection_id):
                pages.update(live_pages_showing(item))
    if pages:
        record(
            SiteChange.Kind.EDITED,
            f"Changed who can see the collection “{instance.collection}”",
            pages=sorted(pages),
        )


@receiver(post_save, sender=Redirect)
@receiver(post_delete, sender=Redirect)
def redirect_changed(sender, instance, **kwargs):
    record(SiteChange.Kind.REDIRECT, f"Changed the redirect from {instance.old_path}")


@receiver(post_save)
@receiver(pre_delete)
def shared_record_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    """An organisation, source, image or document shown on live pages was saved or is being
    deleted (before the reference index forgets where it was shown). Saving a draft of an
    organisation or a source changes nothing that readers see."""
    if sender not in SHARED_MODELS or raw or _draft_only(update_fields):
        return
    pages = live_pages_showing(instance)
    if not pages:
        return
    label = sender._meta.verbose_name
    name = getattr(instance, "name", None) or getattr(instance, "title", None) or str(instance)
    record(
        SiteChange.Kind.EDITED,
        f"Edited {label} “{name}”",
        pages=pages,
        records_only=sender in RECORD_MODELS,
    )


@receiver(post_save, sender=GlossaryTerm)
@receiver(post_delete, sender=GlossaryTerm)
def glossary_term_changed(sender, instance, raw=False, **kwargs):
    """The glossary page shows every term."""
    if raw:
        return
    pages = list(GlossaryPage.objects.live().values_list("pk", flat=True))
    if pages:
        record(SiteChange.Kind.EDITED, f"Edited glossary term “{instance.term}”", pages=pages)


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def site_changed(sender, instance, raw=False, **kwargs):
    """The pages' addresses in the API come from the site's host and root page."""
    if not raw:
        outdate_every_serialised_page()


@receiver(post_migrate)
def code_changed(sender, app_config, using="default", **kwargs):
    """A new release may make the API's JSON differently: made before, it is not used."""
    if app_config.name == "cms.publishing":
        outdate_every_serialised_page(using)
