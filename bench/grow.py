"""Grow an imported corpus to N solution pages by publishing copies of its pages
(python -m bench.grow N, run with the benchmark's DATABASE_URL)."""

import sys

import django


def main(target: int) -> None:
    django.setup()
    from cms.solutions.models import SolutionPage, SolutionSectorLink

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
            clone.save_revision().publish()
            count += 1
    print(f"{count} solution pages")


if __name__ == "__main__":
    main(int(sys.argv[1]))
