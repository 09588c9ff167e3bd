"""Builds the static site from a content snapshot with Pelican and the themes in themes/,
checks it, and switches it live atomically; also serves it and renders previews."""
