"""The district of each unit's audit chain (audit's migration 0006 added the column, every
entry in district 0): the chain's entries are moved to its unit's district, one UPDATE a chain,
with the append-only triggers lifted for this transaction only. The entries' hashes do not
cover the district, so the log verifies as before. The global chain, the users' chains (named
``user:<id>`` so far) and the chains of paths no unit has stay in district 0."""

from django.db import migrations


def fill_districts(apps, schema_editor):
    from jiuye.audit.triggers import lift_and_restore
    from jiuye.units.sharding import district_of_path

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT chain FROM audit_auditentry WHERE chain LIKE %s", ["/%"])
        chains = [row[0] for row in cursor.fetchall()]
    moves = [(d, chain) for chain in chains if (d := district_of_path(chain))]
    if not moves:
        return
    lift, restore = lift_and_restore(connection.vendor)
    with connection.cursor() as cursor:
        for statement in lift:
            cursor.execute(statement)
        cursor.executemany("UPDATE audit_auditentry SET district_id = %s WHERE chain = %s", moves)
        for statement in restore:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("units", "0002_station_contact"), ("audit", "0006_district")]

    operations = [migrations.RunPython(fill_districts, migrations.RunPython.noop, elidable=True)]
