"""Bad input: a clear message with file and line, nothing of that file imported, the
other files still imported, and an exit status that says something failed."""

import pytest
from wagtail.models import Page

from cms.solutions.models import SolutionPage
from tests.conftest import run_import

pytestmark = pytest.mark.django_db

GOOD = """---
title: Good Page
---

![A picture](img/rooftop-solar.jpg)

## Overview

Fine content.
"""

BAD = {
    "no-front-matter": (b"# Title\n\nNo front matter here.\n", 1, "has no front matter"),
    "invalid-front-matter": (b"---\ntitle: [unclosed\n---\n\n## Overview\n", 2, "not valid YAML"),
    "no-title": (b"---\nauthor: someone\n---\n\nText\n", 2, "no “title:”"),
    "unknown-admonition": (
        b'---\ntitle: X\n---\n\n## Overview\n\n!!! bogus "Title"\n    body\n',
        7,
        "unknown admonition “bogus”",
    ),
    "missing-image": (b"---\ntitle: X\n---\n\n![Cover](img/nowhere.jpg)\n", 5, "not found"),
    "broken-utf8": (b"---\ntitle: X\n---\n\nline four\ncaf\xe9 au lait\n", 6, "not valid UTF-8"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_file_is_reported_with_file_and_line_and_nothing_of_it_is_imported(workdir, case):
    content, line, message = BAD[case]
    bad = workdir / f"solution-{case}.md"
    bad.write_bytes(content)
    good = workdir / "solution-good-page.md"
    good.write_text(GOOD)
    pages_before = Page.objects.count()

    code, out, err = run_import(bad, good)

    assert code == 1
    assert f"{bad}:{line}: " in err and message in err, err
    assert "nothing of this file was imported" in err
    assert not SolutionPage.objects.filter(slug=case).exists()
    assert SolutionPage.objects.filter(slug="good-page", live=True).exists()
    assert "Imported 1 page(s)" in out
    assert Page.objects.count() > pages_before


def test_image_that_is_not_an_image_fails_the_file_only(workdir):
    (workdir / "img" / "fake.png").write_bytes(b"this is text, not a picture")
    bad = workdir / "solution-fake-image.md"
    bad.write_text("---\ntitle: Fake\n---\n\n![Cover](img/fake.png)\n\n## Overview\n\nText\n")
    code, _, err = run_import(bad)
    assert code == 1
    assert f"{bad}:5: " in err and "not an image" in err
    assert not SolutionPage.objects.filter(slug="fake-image").exists()


def test_broken_relative_link_is_kept_and_reported_but_never_breaks_the_import(workdir):
    page_file = workdir / "solution-linker.md"
    page_file.write_text(
        "---\ntitle: Linker\n---\n\n## Overview\n\nSee [the glossary](../glossary/#carbon) "
        "and [heat pumps](../solution-not-here).\n"
    )
    code, _, err = run_import(page_file)
    assert code == 0
    assert f"{page_file}:7: " in err and "../solution-not-here" in err
    page = SolutionPage.objects.get(slug="linker")
    paragraph = page.body[0].value["content"][0].value.source
    assert 'href="../solution-not-here"' in paragraph
    assert 'href="../glossary/#carbon"' in paragraph
