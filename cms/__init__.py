"""The Wagtail project: content model, admin, headless API and publishing."""
