from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in and API keys: the account area at /account/ and the keys' admin."""

    name = "accounts"
    verbose_name = "Accounts"
