"""Builds the static site from a content snapshot with Pelican and the themes in themes/
(issue: site builder and default theme)."""
