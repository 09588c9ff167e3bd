"""An image's renditions are made when the image is saved (uploaded or imported), not
when a page that shows it is first exported: resizing takes about a tenth of a second per
width, which publishing a page should not wait for. (Replacing an image's file in the
admin deletes them after this: they are then made at the next export, as Wagtail would.)"""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.tasks import task
from wagtail.images import get_image_model

from .representation import rendition_specs

logger = logging.getLogger(__name__)


@task()
def make_renditions(image_id: int) -> None:
    """Make the renditions pages show of this image, if it is still there."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return
    try:
        image.get_renditions(*rendition_specs(image))
    except (OSError, ValueError) as error:  # the file is missing or not a picture
        logger.warning("Image %s (“%s”): no renditions made: %s", image.pk, image.title, error)


def make_renditions_when_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        transaction.on_commit(lambda: make_renditions.enqueue(instance.pk))


def connect() -> None:
    post_save.connect(
        make_renditions_when_saved, sender=get_image_model(), dispatch_uid="make_renditions"
    )
