"""Submission-specific errors: typed, with stable codes, rendered by the one API error handler."""

from __future__ import annotations

from services.core.errors import Conflict, PermissionDenied


class WindowNotOpen(Conflict):
    """The quarter's submission window has not opened yet."""

    code = "window_not_open"


class WindowLocked(Conflict):
    """The quarter is locked; only the provincial QC admin can reopen it for one hospital."""

    code = "window_locked"


class SubmissionLocked(Conflict):
    """The hospital's quarter is approved: locked for the hospital until reviewers reopen it."""

    code = "submission_locked"


class InvalidTransition(Conflict):
    """A review action that the submission's current status does not allow."""

    code = "invalid_transition"


class ApprovalOutsideSpecialty(PermissionDenied):
    """A specialty QC user tried to approve a quarter holding values of goals it does not own."""

    code = "approval_outside_specialty"
