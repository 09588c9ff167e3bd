"""The headless API: Wagtail API v2 for live, public pages, previews and changes."""
