"""One keyed chain per zone, step 3 of 3: drop the old head, add the
per-chain uniqueness and the timeline index (separate from 0004 because
PostgreSQL refuses index changes in a transaction with pending row updates)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_rechain_data")]

    operations = [
        migrations.DeleteModel(name="LegacyChainHead"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                fields=["object_type", "object_id", "id"], name="audit_audit_object__0898ad_idx"
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_event_seq_unique_in_chain"
            ),
        ),
    ]
