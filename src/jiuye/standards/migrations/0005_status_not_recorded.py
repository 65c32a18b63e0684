"""The timelines count "status not recorded" (DOMAIN §3 data quality: of working age with no
status in force, able or not), so the worklist's per-community count of a street or district is
read from the community timelines instead of an anti-join over every person and event.

The stored rows hold 0 in the new column: a database with households has its aggregates marked
stale, so they are read from the registry until ``jiuye aggregates rebuild``. (The columns are
added with a constant default: on PostgreSQL no table rewrite.)
"""

from django.db import migrations, models


def stale(apps, schema_editor):
    AggregateState = apps.get_model("standards", "AggregateState")
    Household = apps.get_model("registry", "Household")
    if Household.objects.exists():
        AggregateState.objects.filter(pk=1).update(built=False)


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0004_aggregate_seen"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="communitytimeline",
            name="status_not_recorded",
            field=models.IntegerField(default=0),
        ),
        migrations.AddField(
            model_name="householdtimeline",
            name="status_not_recorded",
            field=models.IntegerField(default=0),
        ),
        migrations.RunPython(stale, migrations.RunPython.noop),
    ]
