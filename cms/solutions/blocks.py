"""StreamField blocks of solution and sector pages.

The body is a list of callouts and keyed sections; a section holds paragraphs, lists,
figures, tables, quotes, callouts and videos. Everything an editor types as text is rich
text limited to the features below, so nothing but safe inline markup can be stored.
"""

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.contrib.typed_table_block.blocks import TypedTableBlock
from wagtail.images.blocks import ImageChooserBlock

from cms.solutions.representation import image_representation, public_html
from content_export.richtext import safe_url

from .vocabulary import CALLOUT_KINDS, SECTION_KEYS

# "mark" (highlighted text, ==text== in Markdown) is registered in wagtail_hooks.py.
INLINE_FEATURES = [
    "bold",
    "italic",
    "mark",
    "strikethrough",
    "link",
    "superscript",
    "subscript",
    "code",
]
TEXT_FEATURES = [*INLINE_FEATURES, "ol", "ul"]


class RichTextBlock(blocks.RichTextBlock):
    """Rich text that the API gives as final, sanitised HTML with public links."""

    def get_api_representation(self, value, context=None):
        return public_html(value.source if value else "", context)


class ParagraphBlock(RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = "Paragraph"


class ListBlock(blocks.StructBlock):
    ordered = blocks.BooleanBlock(
        required=False,
        label="Numbered",
        help_text="Tick for a numbered list (1, 2, 3…), when the order matters.",
    )
    items = blocks.ListBlock(
        RichTextBlock(features=INLINE_FEATURES, label="Item"), min_num=1, label="Items"
    )

    class Meta:
        icon = "list-ul"
        template = "blocks/list.html"
        label = "List"


class DefinitionBlock(blocks.StructBlock):
    term = blocks.CharBlock(max_length=200, help_text="The word or phrase to explain.")
    definition = RichTextBlock(
        features=INLINE_FEATURES, label="Meaning", help_text="What it means, in a sentence or two."
    )

    class Meta:
        label = "Term and meaning"


class DefinitionListBlock(blocks.StructBlock):
    items = blocks.ListBlock(DefinitionBlock(), min_num=1, label="Terms")

    class Meta:
        icon = "list-ul"
        template = "blocks/definitions.html"
        label = "Definitions"
        help_text = "Terms and what they mean, shown as a list of terms in bold."


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt = blocks.CharBlock(
        max_length=255,
        label="Alternative text",
        help_text="Describe the image for people who cannot see it.",
    )
    caption = RichTextBlock(
        features=INLINE_FEATURES,
        required=False,
        help_text="Shown under the image; say who took it if you know.",
    )

    class Meta:
        icon = "image"
        template = "blocks/figure.html"
        label = "Figure"

    def get_api_representation(self, value, context=None):
        return {
            **super().get_api_representation(value, context),
            "image": image_representation(value["image"], value["alt"]),
        }


class TableBlock(TypedTableBlock):
    """A table whose cells are short rich text (links and emphasis survive)."""

    def __init__(self, **kwargs):
        super().__init__([("text", RichTextBlock(features=INLINE_FEATURES))], **kwargs)

    class Meta:
        icon = "table"
        label = "Table"
        template = "blocks/table.html"


class QuoteBlock(blocks.StructBlock):
    text = RichTextBlock(features=TEXT_FEATURES, label="Quotation")
    attribution = blocks.CharBlock(
        required=False, label="Who said it", help_text="For example “Fatih Birol, IEA, 2023”."
    )

    class Meta:
        icon = "openquote"
        template = "blocks/quote.html"
        label = "Quote"


class VideoBlock(blocks.StructBlock):
    """A video player embedded by URL (kept as the source gave it; no oEmbed lookup)."""

    url = blocks.URLBlock(
        label="Video address", help_text="The page of the video, e.g. on YouTube or Vimeo."
    )
    title = blocks.CharBlock(help_text="What the video shows, for screen readers.")
    caption = RichTextBlock(features=INLINE_FEATURES, required=False, help_text="Shown under it.")

    def get_api_representation(self, value, context=None):
        data = super().get_api_representation(value, context)
        data["url"] = safe_url(data.get("url")) or ""  # set outside the form, it may be anything
        return data

    class Meta:
        icon = "media"
        template = "blocks/video.html"
        label = "Video"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=CALLOUT_KINDS,
        default="info",
        help_text="Sets its colour and icon on the site: “Warning” for risks, “Tip” for advice.",
    )
    title = RichTextBlock(
        features=INLINE_FEATURES, required=False, help_text="Left empty, the kind is the title."
    )
    body = RichTextBlock(features=TEXT_FEATURES, required=False, label="Text")
    collapsible = blocks.BooleanBlock(
        required=False,
        label="Folded",
        help_text="Readers see only the title until they open it.",
    )

    class Meta:
        icon = "warning"
        template = "blocks/callout.html"
        label = "Callout"


class SectionContentBlock(blocks.StreamBlock):
    subheading = blocks.CharBlock(
        max_length=200, icon="title", label="Subheading", template="blocks/subheading.html"
    )
    paragraph = ParagraphBlock(features=TEXT_FEATURES)
    list = ListBlock()
    definitions = DefinitionListBlock()
    figure = FigureBlock()
    table = TableBlock()
    quote = QuoteBlock()
    callout = CalloutBlock()
    video = VideoBlock()


class SectionBlock(blocks.StructBlock):
    key = blocks.ChoiceBlock(
        choices=SECTION_KEYS,
        default="other",
        label="Section",
        help_text="Which part of a solution page this is. Choose “Other” for a heading of"
        " your own.",
    )
    heading = blocks.CharBlock(max_length=200, help_text="As readers see it, e.g. “Overview”.")
    anchor = blocks.CharBlock(
        max_length=100,
        required=False,
        label="Link name",
        help_text="The end of this section's address (…/#overview), for links straight to"
        " it. Left empty, it is made from the heading.",
    )
    content = SectionContentBlock()

    class Meta:
        icon = "doc-full"
        template = "blocks/section.html"
        label = "Section"

    def clean(self, value):
        value = super().clean(value)
        anchor = value.get("anchor") or slugify(value.get("heading", ""))
        if anchor != slugify(anchor):
            raise StructBlockValidationError(
                {
                    "anchor": ValidationError(
                        "Use only lower-case letters, numbers and hyphens, "
                        f"for example “{slugify(anchor)}”."
                    )
                }
            )
        value["anchor"] = anchor
        return value


class BodyBlock(blocks.StreamBlock):
    section = SectionBlock()
    callout = CalloutBlock()
    paragraph = ParagraphBlock(features=TEXT_FEATURES)
    figure = FigureBlock()
    video = VideoBlock()

    def clean(self, value):
        value = super().clean(value)
        seen: dict[str, str] = {}
        errors = {}
        for index, child in enumerate(value):
            if child.block_type != "section":
                continue
            anchor = child.value["anchor"]
            if anchor in seen:
                errors[index] = ValidationError(
                    f"Two sections would share the link #{anchor} (“{seen[anchor]}” and "
                    f"“{child.value['heading']}”). Give one of them another anchor."
                )
            seen[anchor] = child.value["heading"]
        if errors:
            raise blocks.StreamBlockValidationError(block_errors=errors)
        return value
