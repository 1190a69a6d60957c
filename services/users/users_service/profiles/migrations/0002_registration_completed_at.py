from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("profiles", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="registration_completed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        # Profiles older than this field belong to users whose registration completed
        # long ago (or that nothing can tell apart from them): the reconciliation must
        # never take them for leftovers.
        migrations.RunSQL(
            "UPDATE profiles_profile SET registration_completed_at = created_at",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="profile",
            index=models.Index(
                condition=models.Q(("registration_completed_at__isnull", True)),
                fields=["created_at"],
                name="profile_registration_pending",
            ),
        ),
    ]
