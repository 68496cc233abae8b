from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "leadqual.intake"
    verbose_name = "Intake"

    def ready(self) -> None:
        # Registers the tracker's task with Huey (intake/tracker_tasks.py
        # explains why it is not in tasks.py).
        from leadqual.intake import tracker_tasks  # noqa: F401
