"""One keyed chain per zone, step 1 of 3: the new columns and the new
per-chain heads (the old single head is kept aside as LegacyChainHead until
0004 has checked the old chain against it). See 0004 for the data."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        ("orgs", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["id"], "verbose_name": "审计事件", "verbose_name_plural": "审计事件"},
        ),
        migrations.RemoveIndex(model_name="auditevent", name="audit_audit_object__599a7d_idx"),
        # The old single head is kept under another name until the old chain
        # has been checked against it.
        migrations.RenameModel(old_name="AuditChainHead", new_name="LegacyChainHead"),
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                ("chain", models.CharField(max_length=24, primary_key=True, serialize=False)),
                ("seq", models.PositiveBigIntegerField(default=0)),
                (
                    "hash",
                    models.CharField(
                        default="0000000000000000000000000000000000000000000000000000000000000000",
                        max_length=64,
                    ),
                ),
            ],
            options={"verbose_name": "审计链头", "verbose_name_plural": "审计链头"},
        ),
        migrations.AlterField(
            model_name="auditevent", name="seq", field=models.PositiveBigIntegerField()
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(default="system", max_length=24),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="org",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgs.organization",
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="zone",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                to="orgs.zone",
            ),
        ),
    ]
