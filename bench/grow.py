"""Grow an imported corpus to N solution pages with live copies of its pages
(python -m bench.grow N, run with the benchmark's DATABASE_URL).

Copies are created live, with one revision each, without a publish action per page (and
so without a build trigger each): growing to 5,000 pages takes minutes, not an hour. The
benchmark then builds the grown site once."""

import sys

import django


def main(target: int) -> None:
    django.setup()
    from django.utils import timezone

    from cms.solutions.models import SolutionPage, SolutionSectorLink

    now = timezone.now()
    originals = list(SolutionPage.objects.live().order_by("pk"))
    parent = originals[0].get_parent()
    count, copy_number = len(originals), 1
    while count < target:
        copy_number += 1
        for original in originals:
            if count >= target:
                break
            page = original.specific
            clone = SolutionPage(
                title=f"{page.title} ({copy_number})",
                slug=f"{page.slug}-{copy_number}",
                summary=page.summary,
                body=page.body.raw_data,
                cover_image=page.cover_image,
                cover_alt=page.cover_alt,
                cover_image_url=page.cover_image_url,
                editorial_status=page.editorial_status,
                live=True,
                first_published_at=now,
                last_published_at=now,
            )
            clone.sector_links = [
                SolutionSectorLink(sector=link.sector, is_primary=link.is_primary)
                for link in page.sector_links.all()
            ]
            clone.organisation_mentions = [
                type(m)(organisation=m.organisation, section_key=m.section_key, note=m.note)
                for m in page.organisation_mentions.all()
            ]
            parent.add_child(instance=clone)
            revision = clone.save_revision(clean=False)
            type(clone).objects.filter(pk=clone.pk).update(live_revision=revision)
            count += 1
    print(f"{count} solution pages")


if __name__ == "__main__":
    main(int(sys.argv[1]))
