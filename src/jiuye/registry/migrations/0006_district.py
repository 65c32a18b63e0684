"""The distribution column (units.sharding): every household, person, status event and
recognition carries its district, filled from the community, the household and the person."""

import django.db.models.deletion
from django.db import migrations

import jiuye.units.sharding
from jiuye.units.sharding import district_sql

BACKFILL = [
    "UPDATE registry_household SET district_id = "
    + district_sql("registry_household.community_id"),
    "UPDATE registry_person SET district_id = (SELECT h.district_id FROM registry_household h"
    " WHERE h.id = registry_person.household_id)",
    "UPDATE registry_statusevent SET district_id = (SELECT p.district_id FROM registry_person p"
    " WHERE p.id = registry_statusevent.person_id)",
    "UPDATE registry_difficultyrecognition SET district_id = (SELECT p.district_id"
    " FROM registry_person p WHERE p.id = registry_difficultyrecognition.person_id)",
]
MODELS = ["household", "person", "statusevent", "difficultyrecognition"]


def key(**kwargs):
    return jiuye.units.sharding.DistrictKey(
        on_delete=django.db.models.deletion.PROTECT, to="units.unit", **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_person_certificates_person_job_intent"),
        ("units", "0001_initial"),
    ]

    operations = [
        *[migrations.AddField(m, "district", key(null=True)) for m in MODELS],
        *[migrations.RunSQL(sql, migrations.RunSQL.noop, elidable=False) for sql in BACKFILL],
        *[migrations.AlterField(m, "district", key()) for m in MODELS],
        migrations.AlterField(
            model_name="person",
            name="household",
            field=jiuye.units.sharding.DistrictForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="members",
                to="registry.household",
                verbose_name="户",
            ),
        ),
        migrations.AlterField(
            model_name="statusevent",
            name="person",
            field=jiuye.units.sharding.DistrictForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="status_events",
                to="registry.person",
            ),
        ),
        migrations.AlterField(
            model_name="difficultyrecognition",
            name="person",
            field=jiuye.units.sharding.DistrictForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="recognitions",
                to="registry.person",
            ),
        ),
    ]
