"""The distribution column (units.sharding): services, ten-clears profiles and zero-employment
family cases carry the district of their person or household."""

import django.db.models.deletion
from django.db import migrations

import jiuye.units.sharding

BACKFILL = [
    "UPDATE casework_servicerecord SET district_id = (SELECT p.district_id FROM registry_person p"
    " WHERE p.id = casework_servicerecord.person_id)",
    "UPDATE casework_unemployedprofile SET district_id = (SELECT p.district_id"
    " FROM registry_person p WHERE p.id = casework_unemployedprofile.person_id)",
    "UPDATE casework_zerofamilycase SET district_id = (SELECT h.district_id"
    " FROM registry_household h WHERE h.id = casework_zerofamilycase.household_id)",
]
MODELS = ["servicerecord", "unemployedprofile", "zerofamilycase"]


def key(**kwargs):
    return jiuye.units.sharding.DistrictKey(
        on_delete=django.db.models.deletion.PROTECT, to="units.unit", **kwargs
    )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0004_service_kind_on"),
        ("registry", "0006_district"),
    ]

    operations = [
        *[migrations.AddField(m, "district", key(null=True)) for m in MODELS],
        *[migrations.RunSQL(sql, migrations.RunSQL.noop, elidable=False) for sql in BACKFILL],
        *[migrations.AlterField(m, "district", key()) for m in MODELS],
        migrations.AlterField(
            model_name="servicerecord",
            name="person",
            field=jiuye.units.sharding.DistrictForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="service_records",
                to="registry.person",
                verbose_name="人员",
            ),
        ),
        migrations.AlterField(
            model_name="unemployedprofile",
            name="person",
            field=jiuye.units.sharding.DistrictOneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="unemployed_profile",
                to="registry.person",
                verbose_name="人员",
            ),
        ),
        migrations.AlterField(
            model_name="zerofamilycase",
            name="household",
            field=jiuye.units.sharding.DistrictForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="zero_family_cases",
                to="registry.household",
                verbose_name="户",
            ),
        ),
    ]
