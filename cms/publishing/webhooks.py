"""Incoming build webhooks: POST /hooks/build/ lets other systems ask for a build.

Requests are signed with Standard Webhooks (HMAC-SHA256 over id.timestamp.body, headers
webhook-id / webhook-timestamp / webhook-signature) with BUILD_WEBHOOK_SECRET. The outgoing
`site.deployed` events are in deliveries.py.
"""

import logging
import re
from datetime import timedelta
from typing import Annotated

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from content_export.schema import first_problem

from .models import Build, WebhookReceipt
from .queue import request_build

logger = logging.getLogger(__name__)
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


# Text a database stores as it is: no NUL or other control character but tab and newline.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("holds a control character (NUL or the like); send plain text")
    return value


# A webhook-id: printable ASCII, as Standard Webhooks senders make them ("msg_…").
_MESSAGE_ID = re.compile(r"[\x21-\x7e]{1,200}")
# webhook-signature: one or more "v1,<base64>", separated by spaces.
_SIGNATURES = re.compile(r"v\d+,[A-Za-z0-9+/]+={0,2}(?: v\d+,[A-Za-z0-9+/]+={0,2})*")


class BuildHookRequest(BaseModel):
    """The body of POST /hooks/build/: {"reason": "theme updated", "full": true}."""

    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=200), AfterValidator(_plain_text)] = ""
    full: bool = False


def _refuse(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
@require_POST
def build_hook(request):
    """Queue a build for a signed request; refuse anything else without building."""
    if not settings.BUILD_WEBHOOK_SECRET:
        return _refuse(503, "build webhooks are off: set BUILD_WEBHOOK_SECRET on the CMS")
    declared = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.BUILD_WEBHOOK_MAX_BYTES
    if not declared.isdigit() or int(declared) > limit:
        return _refuse(413, f"the body is larger than {limit} bytes")
    body = request.body
    headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
    if problem := _signature_problem(body, headers):
        return problem
    if not _MESSAGE_ID.fullmatch(headers["webhook-id"]):
        return _refuse(400, "webhook-id: give up to 200 printable ASCII characters")
    try:
        hook = BuildHookRequest.model_validate_json(body or b"{}")
    except ValidationError as error:
        where, message = first_problem(error)
        return _refuse(400, f"{where or 'body'}: {message}")
    recent = WebhookReceipt.objects.filter(received_at__gte=timezone.now() - timedelta(minutes=1))
    if recent.count() >= settings.BUILD_WEBHOOK_PER_MINUTE:
        return _refuse(429, "too many build requests; try again in a minute", Retry_After="60")
    try:
        with transaction.atomic():
            receipt = WebhookReceipt.objects.create(message_id=headers["webhook-id"])
    except IntegrityError:
        return _refuse(409, f"webhook-id {headers['webhook-id']} was already received")
    build = request_build("webhook", f"Webhook: {hook.reason or 'build requested'}", full=hook.full)
    receipt.build = build
    receipt.save(update_fields=["build"])
    joined = build.triggers.count() > 1
    status_url = request.build_absolute_uri(reverse("build_status", args=[build.pk]))
    return JsonResponse(
        {
            "build": build.pk,
            "status": build.status,
            "joined_pending_build": joined,
            "status_url": status_url,
        },
        status=202,
    )


def _signature_problem(body: bytes, headers: dict[str, str]) -> JsonResponse | None:
    """None if the request is signed with BUILD_WEBHOOK_SECRET; else the answer saying why not."""
    missing = [name for name, value in headers.items() if not value]
    if missing:
        return _refuse(401, f"missing header(s): {', '.join(missing)} (Standard Webhooks)")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return _refuse(400, "body: not UTF-8 text")
    if not _SIGNATURES.fullmatch(headers["webhook-signature"]):
        return _refuse(
            401,
            "webhook-signature is malformed: expected v1,<base64 signature> (Standard Webhooks)",
        )
    try:
        Webhook(settings.BUILD_WEBHOOK_SECRET).verify(text, headers, json_parse=False)
    except (WebhookVerificationError, ValueError) as error:
        return _refuse(401, f"signature not accepted: {error}")
    return None


@require_GET
def build_status(request, build_id: int):
    """Where a build is, for the system that asked for it (a request signed like the
    webhook, with an empty body) or an editor signed in to the admin; no errors or internals."""
    if not request.user.has_perm("wagtailadmin.access_admin"):
        if not settings.BUILD_WEBHOOK_SECRET:
            return _refuse(401, "sign in to the CMS to see builds")
        headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
        if problem := _signature_problem(b"", headers):
            return problem
    build = get_object_or_404(Build, pk=build_id)
    return JsonResponse(
        {
            "build": build.pk,
            "status": build.status,
            "release": build.release or None,
            "finished_at": build.finished_at.isoformat() if build.finished_at else None,
        }
    )
