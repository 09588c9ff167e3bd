"""“Merge into…” for organisations: one record for one organisation, however many times an
import or an editor made it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.widgets import AdminSnippetChooser

from .merging import merge_organisations
from .models import Organisation, SolutionPage


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        widget=AdminSnippetChooser(Organisation),
        label="Merge into",
        help_text="The organisation that stays. Its name and details are kept.",
    )

    def __init__(self, *args, merged: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.merged = merged

    def clean_into(self):
        into = self.cleaned_data["into"]
        if into.pk == self.merged.pk:
            raise forms.ValidationError("Choose another organisation: this is the one to merge.")
        return into


class MergeOrganisationView(WagtailAdminTemplateMixin, FormView):
    """Asks which organisation stays, says what will change, then merges."""

    template_name = "solutions/merge_organisation.html"
    form_class = MergeForm
    header_icon = "group"

    def dispatch(self, request, *args, **kwargs):
        # Merging deletes a record: those who may delete organisations may merge them.
        if not request.user.has_perm("solutions.delete_organisation"):
            raise PermissionDenied
        self.merged = get_object_or_404(Organisation, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return f"Merge “{self.merged.name}” into another organisation"

    def listing_url(self) -> str:
        return reverse(self.merged.snippet_viewset.get_url_name("list"))

    def get_breadcrumbs_items(self):
        return [
            {"url": self.listing_url(), "label": "Organisations"},
            {"url": "", "label": f"Merge “{self.merged.name}”"},
        ]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "merged": self.merged}

    def get_context_data(self, **kwargs):
        pages = SolutionPage.objects.filter(organisation_mentions__organisation=self.merged)
        return {
            **super().get_context_data(**kwargs),
            "merged": self.merged,
            "listing_url": self.listing_url(),
            "pages": pages.distinct().order_by("title"),
        }

    def form_valid(self, form):
        into, name = form.cleaned_data["into"], self.merged.name
        count = merge_organisations(self.merged, into, user=self.request.user)
        messages.success(
            self.request,
            f"“{name}” is merged into “{into.name}”: {count} page{'s' if count != 1 else ''} "
            f"name “{into.name}” instead. The public site is being updated, and the old "
            "address of its page leads to this one.",
        )
        return redirect(into.snippet_viewset.get_url_name("edit"), into.pk)
