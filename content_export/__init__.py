"""Reads the CMS's headless API into a versioned content snapshot. Knows only HTTP and
JSON; never imports Django."""
