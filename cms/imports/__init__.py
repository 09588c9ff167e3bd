"""Imports handbook pages written in MkDocs-Material Markdown."""
