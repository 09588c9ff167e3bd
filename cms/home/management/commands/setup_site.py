import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from cms.home.site_structure import ensure_site_structure


class Command(BaseCommand):
    help = (
        "Create the site skeleton and, if missing and not in production, the local admin "
        "user. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("--admin-user", default=os.environ.get("CMS_ADMIN_USER", "admin"))
        parser.add_argument(
            "--admin-password", default=os.environ.get("CMS_ADMIN_PASSWORD", "admin")
        )

    def handle(self, *args, admin_user: str, admin_password: str, **options):
        ensure_site_structure()
        User = get_user_model()
        if User.objects.filter(username=admin_user).exists():
            password = "(unchanged)"
        elif not settings.CREATE_LOCAL_ADMIN:
            self.stdout.write("Site ready. Create an admin with: manage.py createsuperuser")
            return
        else:
            User.objects.create_superuser(admin_user, f"{admin_user}@example.org", admin_password)
            password = admin_password
        self.stdout.write(
            self.style.SUCCESS(
                f"CMS login: http://127.0.0.1:8000/admin/  user: {admin_user}  password: {password}"
            )
        )
