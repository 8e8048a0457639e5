"""Create the first superuser if there is none.

Credentials come from ADMIN_USERNAME / ADMIN_PASSWORD / ADMIN_EMAIL; without a password,
one is generated and printed once.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser from ADMIN_USERNAME/ADMIN_PASSWORD if none exists (prints a generated password)."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True, is_active=True).exists():
            self.stdout.write("An admin user already exists.")
            return
        username = os.environ.get("ADMIN_USERNAME") or "admin"
        password = os.environ.get("ADMIN_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=os.environ.get("ADMIN_EMAIL", ""), password=password)
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Created admin user {username!r} with password {password!r}. "
                    "It is shown only this once: write it down, or set ADMIN_PASSWORD next time."
                )
            )
        else:
            self.stdout.write(f"Created admin user {username!r} (password from ADMIN_PASSWORD).")
