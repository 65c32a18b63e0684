"""The distribution column (units.sharding) on the aggregates: each household's and community's
timeline, service day and survey fact carries its district, so that on Citus they sit beside the
rows they are computed from.

The aggregates are derived data: rather than backfill some 40 million rows of a city, the
migration empties them and marks them not built. Until ``jiuye aggregates rebuild`` runs, the
evaluations compute the same numbers from the registry (slower); the deploy step runs it."""

from django.db import migrations, models

TABLES = [
    "standards_householdtimeline",
    "standards_communitytimeline",
    "standards_serviceday",
    "standards_surveyfact",
]
MODELS = ["householdtimeline", "communitytimeline", "serviceday", "surveyfact"]


def empty(apps, schema_editor):
    qn = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {qn(table)}")
    apps.get_model("standards", "AggregateState").objects.update(built=False)
    apps.get_model("standards", "AggregateSeen").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("standards", "0006_alter_checklisttick_role")]

    operations = [
        migrations.RunPython(empty, migrations.RunPython.noop, elidable=False),
        *[
            migrations.AddField(m, "district_id", models.BigIntegerField(default=0))
            for m in MODELS
        ],
        *[migrations.AlterField(m, "district_id", models.BigIntegerField()) for m in MODELS],
    ]
