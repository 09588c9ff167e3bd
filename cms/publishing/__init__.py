"""Rebuilds the public site when what it shows changes: triggers, the build queue, webhooks."""
