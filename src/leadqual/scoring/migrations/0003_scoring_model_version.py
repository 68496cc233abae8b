from django.db import migrations


class Migration(migrations.Migration):
    """A row of the scoring model table is one version: the model says so."""

    dependencies = [
        ("scoring", "0002_install_default_model"),
    ]

    operations = [
        migrations.RenameModel("ScoringModel", "ScoringModelVersion"),
    ]
