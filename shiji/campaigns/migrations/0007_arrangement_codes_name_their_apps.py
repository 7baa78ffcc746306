"""One vocabulary: a work arrangement's code is the name of the app that
serves it (建章立制 → regulations, “开门”教育 → outreach), as the navigation
keys are. Loaded campaigns are renamed in place, so that loading the edited
presets again updates them instead of replacing rows that tasks point to."""

from django.db import migrations

RENAMED = {"rules": "regulations", "open-door": "outreach"}


def _rename(apps, mapping):
    WorkArrangement = apps.get_model("campaigns", "WorkArrangement")
    for old, new in mapping.items():
        for arrangement in WorkArrangement.objects.filter(code=old):
            # A campaign that already has the new code (a hand-made preset) keeps both.
            if not WorkArrangement.objects.filter(
                campaign_id=arrangement.campaign_id, code=new
            ).exists():
                arrangement.code = new
                arrangement.save(update_fields=["code"])


def forwards(apps, schema_editor):
    _rename(apps, RENAMED)


def backwards(apps, schema_editor):
    _rename(apps, {new: old for old, new in RENAMED.items()})


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0006_deployment_meeting_is_a_study_session")]

    operations = [migrations.RunPython(forwards, backwards)]
