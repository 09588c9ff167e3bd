"""Passwords on private pages and documents are throttled like the admin's login: a wrong
one counts as a failed sign-in for that restriction and address (django-axes), and too many
lock the form for a while, as the admin login is locked."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import render
from wagtail.documents.views.serve import authenticate_with_password as document_password
from wagtail.views import authenticate_with_password as page_password


def _throttled(view, label: str):
    def throttled(request, restriction_id: int, **kwargs):
        credentials = {"username": f"{label} #{restriction_id}"}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return render(request, "accounts/locked.html", status=429)
        response = view(request, restriction_id, **kwargs)
        if request.method == "POST" and response.status_code == 200:  # the form again: wrong
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        return response

    return throttled


throttled_page_password = _throttled(page_password, "page password")
throttled_document_password = _throttled(document_password, "document password")
