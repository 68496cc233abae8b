from django.db import migrations

OLD, NEW = "scoringmodel", "scoringmodelversion"


def rename_content_type(apps, schema_editor, *, old=OLD, new=NEW):
    """Keep who may view and add scoring models: the content type and its
    permissions follow the model's new name instead of being made anew."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type = ContentType.objects.filter(app_label="scoring", model=old).first()
    if content_type is None:
        return
    if ContentType.objects.filter(app_label="scoring", model=new).exists():
        return
    content_type.model = new
    content_type.save(update_fields=["model"])
    for permission in Permission.objects.filter(content_type=content_type):
        action = permission.codename.rsplit("_", 1)[0]
        permission.codename = f"{action}_{new}"
        permission.save(update_fields=["codename"])


def rename_back(apps, schema_editor):
    rename_content_type(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    """A row of the scoring model table is one version: the model says so."""

    dependencies = [
        ("scoring", "0002_install_default_model"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RenameModel("ScoringModel", "ScoringModelVersion"),
        migrations.RunPython(rename_content_type, rename_back),
    ]
