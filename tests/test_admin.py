"""Editors can open and understand a solution page in the Wagtail admin."""

import pytest
from django.contrib.auth.models import Group, User

from cms.solutions.models import SolutionPage
from tests.conftest import SEED, run_import

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    editor = User.objects.create_user("editor", password="correct horse battery")
    editor.groups.add(Group.objects.get(name="Editors"))
    assert client.login(username="editor", password="correct horse battery")
    return client


def test_solution_edit_page_loads_with_tabs_for_an_editor(editor_client):
    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    response = editor_client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code == 200
    html = response.content.decode()
    for tab in ("Content", "Taxonomy", "Evidence", "Editorial"):
        assert f">{tab}<" in html or f"{tab}\n" in html, tab
    assert "Original Markdown" in html
    assert "International Renewable Energy Agency" in html


def test_admin_lists_the_imported_pages(editor_client):
    assert run_import(SEED)[0] == 0
    solutions = SolutionPage.objects.get(slug="high-efficiency-heat-pumps").get_parent()
    response = editor_client.get(f"/admin/pages/{solutions.pk}/")
    assert response.status_code == 200
    assert "High-Efficiency Heat Pumps" in response.content.decode()


def test_validation_messages_speak_to_editors(admin_client):
    assert run_import(SEED)[0] == 0
    page = SolutionPage.objects.get(slug="high-efficiency-heat-pumps")
    page.cover_alt = ""
    with pytest.raises(Exception) as raised:
        page.full_clean()
    assert "Describe the cover image for people who cannot see it." in str(raised.value)

    from cms.solutions.models import SolutionMetric

    metric = SolutionMetric(page=page, label="Savings", value=10, value_max=5, unit="%")
    with pytest.raises(Exception) as raised:
        metric.full_clean(exclude=["page"])
    assert "upper value must be larger" in str(raised.value)
