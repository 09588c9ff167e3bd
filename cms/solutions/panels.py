"""Editor panels that appear only when they have something to show: what an import kept
(where a page came from, a remote cover picture) means nothing on a page made in the CMS."""

from decimal import Decimal

from django import forms
from wagtail.admin.panels import FieldPanel, MultiFieldPanel


class ImportedPagePanel(MultiFieldPanel):
    """A group of fields shown only on pages that came from the Markdown import."""

    class BoundPanel(MultiFieldPanel.BoundPanel):
        def is_shown(self):
            return bool(getattr(self.instance, "source_path", "")) and super().is_shown()


class FilledFieldPanel(FieldPanel):
    """A read-only field shown only when it holds something."""

    class BoundPanel(FieldPanel.BoundPanel):
        def is_shown(self):
            return bool(getattr(self.instance, self.field_name, "")) and super().is_shown()


class PlainNumberInput(forms.NumberInput):
    """A number as the editor typed it: 50 and 72.5, not 50.000 and 72.500 (the database
    keeps three decimal places)."""

    def format_value(self, value):
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        return super().format_value(value)
