from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = "Claims"

    def ready(self) -> None:
        # A party's edit changes the relation, confidence or wording of its claims' flags;
        # sources cannot call claims, so claims asks to be called.
        from claims import services
        from sources.services import party_edited_call

        party_edited_call(services.party_rechecks)
