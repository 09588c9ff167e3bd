"""Reads the CMS's headless API into a versioned content snapshot (issue: headless API and
content export). Knows only HTTP and JSON; never imports Django."""
