"""The starter predicate vocabulary, and the Analyst, Journalist and API consumer groups."""

from typing import Any

from django.db import migrations

PREDICATES = [
    # slug, label, value type, single-valued, unit, description
    ("controlled-by", "controlled by", "entity", True, "",
     "Who holds the subject (a place) during the period. Only one controller at a time."),
    ("captured-by", "captured by", "entity", False, "",
     "The subject (a place) was taken by the object during the period."),
    ("present-near", "present near", "entity", False, "",
     "The subject (forces, a unit) was present near the object (a place)."),
    ("advance-reached", "reached by the advance of", "entity", False, "",
     "The front line of the object's forces reached the subject (a place)."),
    ("casualties", "casualties", "quantity", False, "people",
     "People killed or wounded among the subject during the period."),
    ("settlements-lost", "settlements lost", "quantity", False, "settlements",
     "Number of settlements the subject lost during the period."),
    ("losses", "losses suffered", "text", False, "",
     "A qualitative description of the subject's losses, e.g. heavy."),
    ("collapsing", "collapsing", "none", False, "",
     "The subject (a defence line, a front) is collapsing."),
    ("attack-repelled", "attack repelled", "none", False, "",
     "An attack by the subject was repelled."),
    ("ceasefire-in-force", "ceasefire in force", "none", False, "",
     "A ceasefire applies to the subject (a conflict or region) during the period."),
]

VIEW = "view"
ROLES: dict[str, dict[str, list[str]]] = {
    # Analysts log and correct; they never hard-delete claims or verdicts.
    "Analyst": {
        "claims.claim": ["add", "change", "view"],
        "claims.claimsource": ["add", "change", "delete", "view"],
        "claims.entity": ["add", "change", "view"],
        "claims.predicate": ["view"],
        "claims.verdict": ["add", "view"],
        "claims.verdictevidence": ["add", "view"],
        "claims.contradiction": ["view", "review"],
        "claims.scanrun": ["view"],
        "sources.party": ["add", "change", "view"],
        "sources.source": ["add", "change", "view"],
    },
    # Journalists read everything and review contradictions.
    "Journalist": {
        "claims.claim": ["view"],
        "claims.claimsource": ["view"],
        "claims.entity": ["view"],
        "claims.predicate": ["view"],
        "claims.verdict": ["view"],
        "claims.verdictevidence": ["view"],
        "claims.contradiction": ["view", "review"],
        "claims.scanrun": ["view"],
        "sources.party": ["view"],
        "sources.source": ["view"],
    },
    # API consumers read.
    "API consumer": {
        "claims.claim": ["view"],
        "claims.claimsource": ["view"],
        "claims.entity": ["view"],
        "claims.predicate": ["view"],
        "claims.verdict": ["view"],
        "claims.verdictevidence": ["view"],
        "claims.contradiction": ["view"],
        "sources.party": ["view"],
        "sources.source": ["view"],
    },
}


def load(apps: Any, schema_editor: Any) -> None:
    from django.contrib.auth.management import create_permissions

    Predicate = apps.get_model("claims", "Predicate")
    for slug, label, value_type, single_valued, unit, description in PREDICATES:
        Predicate.objects.update_or_create(
            slug=slug,
            defaults={"label": label, "value_type": value_type, "single_valued": single_valued,
                      "unit": unit, "description": description},
        )

    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            for action in actions:
                codename = "review_contradiction" if action == "review" else f"{action}_{model}"
                permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0003_claim_value_type_fk"),
        ("sources", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
