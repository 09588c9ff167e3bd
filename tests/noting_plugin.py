"""A Pelican plugin for the tests. It notes the signals it receives in the file named by
the NOTES_FILE setting, and marks every HTML file it is told was written: it changes the
output, as a minifier does."""

from pathlib import Path

from pelican import signals

MARK = "<!-- marked by noting_plugin -->\n"


def _note(settings: dict, line: str) -> None:
    if settings.get("NOTES_FILE"):
        with open(settings["NOTES_FILE"], "a") as notes:  # lines from several processes
            notes.write(line + "\n")


def initialized(pelican) -> None:
    _note(pelican.settings, "initialized")


def content_object_init(instance) -> None:
    _note(instance.settings, f"content_object_init {type(instance).__name__} /{instance.url}")


def content_written(path: str, context: dict) -> None:
    if path.endswith(".html"):
        with open(path, "a") as written:
            written.write(MARK)
    _note(context, f"content_written {context['page_url']}")


def finalized(pelican) -> None:
    output = Path(pelican.output_path)
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    _note(pelican.settings, "finalized " + " ".join(pages))


def take_notes(settings_file: Path) -> list[str]:
    """For a test: what the plugin noted in a build with `settings_file` (the plugin_settings
    fixture), forgotten for the next build."""
    path = settings_file.with_name("notes.txt")
    lines = path.read_text().splitlines() if path.exists() else []
    path.unlink(missing_ok=True)
    return lines


def register() -> None:
    signals.initialized.connect(initialized)
    signals.content_object_init.connect(content_object_init)
    signals.content_written.connect(content_written)
    signals.finalized.connect(finalized)
