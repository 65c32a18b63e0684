"""The aggregates under the readings of 2026-12 (DOMAIN, last section):

- zero-employment families leave the timelines: every zero-family figure reads the
  zero-family cases (the one set of episodes), so ``zero``, ``zero_urban`` and their index go;
- CQ-3's base is no longer the dibao households' labor force but their able, working-age
  members with a known status other than student/retired, willing or not: ``dibao_labor_force``
  becomes ``dibao_base``;
- ``satisfaction_rate`` counts only surveys of persons unemployed in the period up to the
  survey: per-survey facts (:class:`SurveyFact`) replace the per-day survey counts.

The stored rows were computed under the old readings (unknown status counted as labor force,
urban without 农转非): a database with households has its aggregates marked stale, so they are
read from the registry until ``jiuye aggregates rebuild``.
"""

from django.db import migrations, models


def stale(apps, schema_editor):
    AggregateState = apps.get_model("standards", "AggregateState")
    Household = apps.get_model("registry", "Household")
    if Household.objects.exists():
        AggregateState.objects.filter(pk=1).update(built=False)


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0002_aggregate_state"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="householdtimeline", name="household_timeline_zero"),
        migrations.RemoveField(model_name="householdtimeline", name="zero"),
        migrations.RemoveField(model_name="householdtimeline", name="zero_urban"),
        migrations.RemoveField(model_name="communitytimeline", name="zero"),
        migrations.RemoveField(model_name="communitytimeline", name="zero_urban"),
        migrations.RenameField(
            model_name="householdtimeline", old_name="dibao_labor_force", new_name="dibao_base"
        ),
        migrations.RenameField(
            model_name="communitytimeline", old_name="dibao_labor_force", new_name="dibao_base"
        ),
        migrations.RemoveField(model_name="serviceday", name="surveys"),
        migrations.RemoveField(model_name="serviceday", name="satisfied"),
        migrations.CreateModel(
            name="SurveyFact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("record_id", models.BigIntegerField(unique=True)),
                ("person_id", models.BigIntegerField()),
                ("community_id", models.BigIntegerField()),
                ("day", models.DateField()),
                ("satisfied", models.BooleanField()),
                ("unemployed_until", models.DateField(blank=True, null=True)),
            ],
            options={
                "ordering": ["community_id", "day"],
                "indexes": [
                    models.Index(fields=["day"], name="survey_fact_day"),
                    models.Index(fields=["person_id"], name="survey_fact_person"),
                ],
            },
        ),
        migrations.RunPython(stale, migrations.RunPython.noop),
    ]
