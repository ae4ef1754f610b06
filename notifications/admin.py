from django.contrib import admin

from schools.admin_scoping import ReadOnlyScopedAdmin

from .models import Delivery, Notification


class DeliveryInline(admin.TabularInline):
    """Each attempt to send the notification, by channel, with what came of it."""

    model = Delivery
    extra = 0
    can_delete = False
    fields = ("attempted_at", "channel", "to", "outcome", "detail")
    readonly_fields = ("attempted_at", "channel", "to", "outcome", "detail")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyScopedAdmin):
    visible_to = staticmethod(lambda user: Notification.objects.filter(recipient=user))
    list_display = ["subject", "recipient", "created_at", "read_at", "emailed_at", "texted_at"]
    list_filter = ["read_at", "emailed_at", "texted_at"]
    inlines = [DeliveryInline]
