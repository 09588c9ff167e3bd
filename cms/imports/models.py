from django.db import models


class ImportNote(models.Model):
    """Something an import could not settle by itself and an editor should look at: a link
    to a page that does not exist, a picture on another site that could not be downloaded
    (kept as a link), or a link whose address is not allowed on the site (javascript:,
    data:, …) and was removed."""

    KINDS = [
        ("broken_link", "Link to a missing page"),
        ("remote_image", "Picture not downloaded"),
        ("missing_image", "Image without a file"),
        ("unsafe_link", "Link removed (address not allowed)"),
    ]
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=KINDS)
    source_path = models.CharField(max_length=300, verbose_name="File")
    line = models.PositiveIntegerField()
    target = models.CharField(max_length=2000, verbose_name="Link or image")
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source_path", "line"]
        verbose_name = "thing to fix after import"
        verbose_name_plural = "to fix after import"

    def __str__(self) -> str:
        return f"{self.source_path}:{self.line}: {self.message}"
