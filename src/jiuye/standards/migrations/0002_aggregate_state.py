"""An empty database's aggregates are trivially right: mark them built, so every write through
the services keeps them from the start (a bulk load makes them stale; see AggregateState)."""

from django.db import migrations


def built(apps, schema_editor):
    AggregateState = apps.get_model("standards", "AggregateState")
    Household = apps.get_model("registry", "Household")
    if not Household.objects.exists():
        AggregateState.objects.update_or_create(pk=1, defaults={"built": True})


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0001_initial"),
        ("registry", "0001_initial"),
    ]

    operations = [migrations.RunPython(built, migrations.RunPython.noop)]
