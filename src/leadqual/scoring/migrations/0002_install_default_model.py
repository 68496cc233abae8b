from importlib import resources

from django.db import migrations
from django.utils import timezone


def install_default_model(apps, schema_editor):
    ScoringModel = apps.get_model("scoring", "ScoringModel")
    if ScoringModel.objects.exists():
        return
    source = (
        resources.files("leadqual.scoring.model_files")
        .joinpath("b2b_software.toml")
        .read_text("utf-8")
    )
    now = timezone.now()
    ScoringModel.objects.create(
        version=1,
        name="B2B software supplier",
        description="The default model shipped with leadqual.",
        source=source,
        is_active=True,
        created_at=now,
        activated_at=now,
    )


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [
        migrations.RunPython(install_default_model, migrations.RunPython.noop)
    ]
