"""Abstract models only: shapes that several apps' tables share."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .stored_text import Piece, render


class AppendOnly(models.Model):
    """A row written once: saving it a second time is refused here, before the database (whose
    trigger, added by the subclass's migration, refuses UPDATE and DELETE) is asked."""

    #: What the application's database role may do with the table (core.db_roles).
    app_privileges = ("SELECT", "INSERT")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError(f"{self._meta.verbose_name} is append-only")
        super().save(*args, **kwargs)


class StateChange(AppendOnly):
    """One change of something's state, with its comment: a row of an append-only history.

    A subclass adds what changed (``subject_field`` names its foreign key), who changed it and
    the two states; its migration adds the trigger by which the database refuses UPDATE and
    DELETE. Saving a row a second time is refused here too, before the database is asked.
    """

    subject_field = ""

    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    #: A comment the system wrote, as a stored text (core.stored_text), shown in the
    #: reader's language; ``comment`` then holds it as written, for search and exports.
    comment_text = models.JSONField(
        _("comment as a message"), null=True, blank=True, editable=False
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        subject = getattr(self, f"{self.subject_field}_id")
        return (
            f"{subject}: {getattr(self, 'from_state', '') or '∅'} → {getattr(self, 'to_state', '')}"
        )

    @property
    def comment_shown(self) -> str:
        """The comment in the active language."""
        if self.comment_text is not None:
            return render(self.comment_text)
        return self.comment

    @staticmethod
    def comment_fields(comment: Piece) -> dict:
        """The columns of ``comment``: a person's text as it is, a stored text also as
        the message it is."""
        if isinstance(comment, str):
            return {"comment": comment}
        return {"comment": render(comment), "comment_text": comment}
