"""Outgoing `site.deployed` events: after a release goes live, a signed POST (Standard
Webhooks, secret DEPLOY_WEBHOOK_SECRET) to each of DEPLOY_WEBHOOK_URLS with the changed URLs,
for CDN purges and chat notices. Each delivery is retried with backoff and listed under its
build."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.tasks import task
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from .models import Build, WebhookDelivery


def send_deployed(build: Build) -> None:
    """Queue one `site.deployed` delivery per configured endpoint."""
    site = settings.PUBLIC_SITE_URL.rstrip("/")
    payload = {
        "type": "site.deployed",
        "timestamp": build.finished_at.isoformat(),
        "data": {
            "build": build.pk,
            "release": build.release,
            "site_url": site + "/",
            "changed_urls": [site + url for url in build.changed_urls],
        },
    }
    for url in settings.DEPLOY_WEBHOOK_URLS:
        delivery = WebhookDelivery.objects.create(
            build=build, url=url, message_id=f"msg_{uuid.uuid4().hex}", payload=payload
        )
        deliver_webhook.enqueue(delivery.pk)


def deliver(delivery_id: int) -> str:
    """POST one delivery; on failure try again later (backoff), up to a limit."""
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    if delivery.status != WebhookDelivery.Status.PENDING:
        return "already done"
    body = json.dumps(delivery.payload)
    now = datetime.now(UTC)
    signature = Webhook(settings.DEPLOY_WEBHOOK_SECRET).sign(delivery.message_id, now, body)
    headers = {
        "content-type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    delivery.attempts += 1
    try:
        response = requests.post(delivery.url, data=body.encode(), headers=headers, timeout=10)
        delivery.response_status = response.status_code
        delivery.error = "" if response.ok else f"answered {response.status_code}"
    except requests.RequestException as error:
        delivery.response_status, delivery.error = None, f"could not connect: {error}"
    if not delivery.error:
        delivery.status, delivery.delivered_at = WebhookDelivery.Status.DELIVERED, timezone.now()
    elif delivery.attempts >= settings.DEPLOY_WEBHOOK_ATTEMPTS:
        delivery.status = WebhookDelivery.Status.FAILED
    delivery.save()
    if delivery.status == WebhookDelivery.Status.PENDING:
        delay = settings.DEPLOY_WEBHOOK_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
        deliver_webhook.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            delivery.pk
        )
    return f"{delivery.url}: {delivery.get_status_display()} ({delivery.error or 'ok'})"


@task(backend="builds", queue_name="builds")
def deliver_webhook(delivery_id: int) -> str:
    return deliver(delivery_id)
