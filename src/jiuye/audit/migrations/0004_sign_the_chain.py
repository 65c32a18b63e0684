"""Sign the existing chain with the audit key (issue 11, finding 7).

Entries written before this migration carry a plain SHA-256, which anyone who can write the
database can recompute. This migration first checks that plain chain (it refuses to sign a log
that was already tampered with), then re-links every entry with HMAC-SHA256 under the current
``JIUYE_AUDIT_KEY``, with the append-only triggers lifted for this one transaction only.
"""

from django.db import migrations


def sign_existing(apps, schema_editor):
    from jiuye.audit.services import GENESIS, _canonical, plain_hash
    from jiuye.audit.triggers import lift_and_restore
    from jiuye.lib import signing

    AuditEntry = apps.get_model("audit", "AuditEntry")
    connection = schema_editor.connection
    entries = list(AuditEntry.objects.filter(key_id__isnull=True).order_by("id"))
    if not entries:
        return
    previous = GENESIS
    first = AuditEntry.objects.order_by("id").first()
    if first is None or first.pk != entries[0].pk:
        raise RuntimeError("unsigned audit entries after signed ones: refusing to sign them")
    for entry in entries:
        if entry.prev_hash != previous or plain_hash(entry) != entry.hash:
            raise RuntimeError(
                f"the audit log is not intact at entry {entry.pk}: run 'jiuye audit verify' on "
                "the previous version and investigate before upgrading"
            )
        previous = entry.hash
    key = signing.current_key_id()
    lift, restore = lift_and_restore(connection.vendor)
    with connection.cursor() as cursor:
        for statement in lift:
            cursor.execute(statement)
        previous = GENESIS
        for entry in entries:
            entry.prev_hash, entry.key_id = previous, key
            digest = signing.sign(_canonical(entry), with_key=key)
            cursor.execute(
                "UPDATE audit_auditentry SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
                [previous, digest, key, entry.pk],
            )
            previous = digest
        for statement in restore:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_key_id")]

    operations = [migrations.RunPython(sign_existing, migrations.RunPython.noop)]
