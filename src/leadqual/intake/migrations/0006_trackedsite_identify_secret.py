import secrets

from django.db import migrations, models

import leadqual.intake.models


def give_each_site_its_own_secret(apps, schema_editor):
    # AddField fills every existing row with one value of the default; each
    # site needs a secret of its own.
    TrackedSite = apps.get_model("intake", "TrackedSite")
    for site in TrackedSite.objects.all():
        site.identify_secret = secrets.token_urlsafe(32)
        site.save(update_fields=["identify_secret"])


class Migration(migrations.Migration):

    dependencies = [
        ('intake', '0005_import_job_error'),
    ]

    operations = [
        migrations.AddField(
            model_name='trackedsite',
            name='identify_secret',
            field=models.CharField(default='', max_length=64, verbose_name='identify secret'),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_site_its_own_secret, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='trackedsite',
            name='identify_secret',
            field=models.CharField(default=leadqual.intake.models.new_identify_secret, help_text="Your website's backend signs identify calls with this secret (see docs/tracking.md). Keep it on the server; never put it in a page.", max_length=64, verbose_name='identify secret'),
        ),
    ]
