"""Each entry's district (issue 18: on Citus the log is distributed by it with the residents'
data). The column is added by hand: Django would rebuild the whole table on SQLite for a NOT
NULL column, dropping the append-only triggers with it; ``ADD COLUMN ... DEFAULT 0 NOT NULL``
keeps them on both databases and, on PostgreSQL, rewrites no row (so no UPDATE trigger fires).
The districts of the existing chains are filled in by units' migration 0003, which knows the
unit tree; until then every entry is in district 0, as before."""

from django.db import migrations, models

ADD = "ALTER TABLE audit_auditentry ADD COLUMN district_id bigint DEFAULT 0 NOT NULL"
DROP = "ALTER TABLE audit_auditentry DROP COLUMN district_id"


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_chains")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(ADD, DROP)],
            state_operations=[
                migrations.AddField(
                    model_name="auditentry",
                    name="district_id",
                    field=models.BigIntegerField(default=0, db_default=0),
                )
            ],
        )
    ]
