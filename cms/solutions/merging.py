"""Merging two records of the same organisation (“US Department of Energy” and “U.S.
Department of Energy”): every page that names the one names the other instead, in its live
version and in its drafts and earlier revisions; the one merged away is deleted and its
page on the site redirects to the other's."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.log_actions import log
from wagtail.models import ReferenceIndex, Revision

from .models import Organisation, OrganisationMention, SolutionPage, _move_redirects

MERGE_ACTION = "solutions.merge"  # in the organisation's history: “Merged … into this one”


def merge_organisations(merged: Organisation, into: Organisation, user=None) -> int:
    """Merge `merged` into `into`; return how many pages named `merged`."""
    if merged.pk == into.pk:
        raise ValueError("An organisation cannot be merged into itself.")
    with transaction.atomic():
        old_path, was_on_the_site = merged.site_path, merged.is_on_the_site()
        page_ids = set(merged.mentions.values_list("page_id", flat=True))
        for mention in OrganisationMention.objects.filter(organisation=merged):
            mention.organisation = into
            mention.save(update_fields=["organisation"])
        page_ids |= _rewrite_revisions(merged.pk, into.pk)
        for page in SolutionPage.objects.filter(pk__in=page_ids):
            ReferenceIndex.create_or_update_for_object(page)  # the pages now show `into`
        log(instance=into, action=MERGE_ACTION, user=user, data={"merged": merged.name})
        # Saving `into` records a change of every live page that shows it (publishing app),
        # so the site is built again with the moved mentions.
        into.save()
        merged.delete()
        if was_on_the_site and into.is_on_the_site():
            _move_redirects(old_path, into.site_path)
    return len(page_ids)


def _rewrite_revisions(old_id: int, new_id: int) -> set[int]:
    """Point every revision's mentions of `old_id` at `new_id` (a draft or an earlier
    revision published later must not name a deleted organisation); return their pages."""
    pages = set()
    solution_type = ContentType.objects.get_for_model(SolutionPage)
    for revision in Revision.objects.filter(content_type=solution_type).iterator():
        mentions = revision.content.get("organisation_mentions") or []
        if not any(m.get("organisation") == old_id for m in mentions):
            continue
        for mention in mentions:
            if mention.get("organisation") == old_id:
                mention["organisation"] = new_id
        revision.save(update_fields=["content"])
        pages.add(int(revision.object_id))
    return pages
