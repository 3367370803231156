from django.contrib import admin

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("kind", "company", "month", "status", "attempts", "heartbeat_at", "created_at")
    list_filter = ("kind", "status")
    readonly_fields = [field.name for field in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False  # jobs are queued by the pages, the commands and beat
