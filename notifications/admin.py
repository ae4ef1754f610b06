from django.contrib import admin

from schools.admin_scoping import ReadOnlyScopedAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(lambda user: Notification.objects.filter(recipient=user))
    list_display = ["subject", "recipient", "created_at", "read_at", "emailed_at"]
    list_filter = ["read_at", "emailed_at"]
    search_fields = ["subject"]
