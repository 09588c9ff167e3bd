from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.imports.importer import ImportOptions, import_pages


class Command(BaseCommand):
    help = (
        "Import handbook pages (MkDocs Markdown). A folder imports its solution-*.md and "
        "sector-*.md files with their images. Importing again updates pages."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--publish", action="store_true", help="Publish what is imported.")
        parser.add_argument("--source-commit", default="", help="Commit the files come from.")
        parser.add_argument("--license", default="", help="Licence of the imported content.")

    def handle(self, *args, paths, publish, source_commit, license, **options):
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or folder: {', '.join(missing)}")
        report = import_pages(
            paths,
            ImportOptions(publish=publish, source_commit=source_commit, source_license=license),
        )
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for problem in report.failed:
            self.stderr.write(
                self.style.ERROR(f"error: {problem} (nothing of this file was imported)")
            )
        state = "published" if publish else "saved as drafts"
        if report.unchanged:
            state += f" ({len(report.unchanged)} unchanged)"
        self.stdout.write(
            f"Imported {len(report.imported)} page(s), {state}; "
            f"{len(report.failed)} failed; {len(report.warnings)} warning(s)."
        )
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) could not be imported.", returncode=1)
