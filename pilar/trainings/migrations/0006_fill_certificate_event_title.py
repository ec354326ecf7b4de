"""Certificates issued before 0005 printed the event's title, when it had one, where the course
belongs: move that title to `event_title` and put the course's name back in `course_name`."""

from django.db import migrations


def split_titles(apps, schema_editor):
    Certificate = apps.get_model("trainings", "Certificate")
    rows = Certificate.objects.exclude(participant__event__title="").values_list(
        "pk", "course_name", "participant__event__title", "participant__event__course__name"
    )
    for pk, printed, title, course in list(rows):  # read first, then write
        if printed == title and printed != course:
            Certificate.objects.filter(pk=pk).update(course_name=course, event_title=title)


def join_titles(apps, schema_editor):
    Certificate = apps.get_model("trainings", "Certificate")
    rows = Certificate.objects.exclude(event_title="").values_list("pk", "event_title")
    for pk, title in list(rows):
        Certificate.objects.filter(pk=pk).update(course_name=title, event_title="")


class Migration(migrations.Migration):
    dependencies = [("trainings", "0005_certificate_event_title")]

    operations = [migrations.RunPython(split_titles, join_titles)]
