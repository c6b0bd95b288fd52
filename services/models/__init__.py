"""All ORM models, one module per aggregate. Importing this package registers every table."""

from services.models.audit import AuditEntry
from services.models.benchmark import BenchmarkSetting, BenchmarkTarget, FlagSnapshot, FlagSnapshotEntry
from services.models.bulk import BulkUpload
from services.models.catalog import (
    CatalogRevision,
    CatalogYear,
    Goal,
    GoalLineage,
    GoalOwner,
    Indicator,
    IndicatorLineage,
    Specialty,
)
from services.models.notification import (
    Notification,
    NotificationContact,
    NotificationDelivery,
    NotificationPreference,
    NotificationRead,
    WebhookEndpoint,
)
from services.models.registry import Hospital, Network, NetworkMembership, Province, QcCenter
from services.models.submission import (
    IdempotencyKey,
    IndicatorApplicability,
    Submission,
    SubmissionEvent,
    SubmissionValue,
    SubmissionValueVersion,
    SubmissionWindow,
)
from services.models.web_session import WebSession

__all__ = [
    "AuditEntry",
    "BenchmarkSetting",
    "BulkUpload",
    "BenchmarkTarget",
    "CatalogRevision",
    "CatalogYear",
    "FlagSnapshot",
    "FlagSnapshotEntry",
    "Goal",
    "GoalLineage",
    "GoalOwner",
    "Hospital",
    "IdempotencyKey",
    "Indicator",
    "IndicatorApplicability",
    "IndicatorLineage",
    "Network",
    "Notification",
    "NotificationContact",
    "NotificationDelivery",
    "NotificationPreference",
    "NotificationRead",
    "NetworkMembership",
    "Province",
    "QcCenter",
    "Specialty",
    "Submission",
    "SubmissionEvent",
    "SubmissionValue",
    "SubmissionValueVersion",
    "SubmissionWindow",
    "WebSession",
    "WebhookEndpoint",
]
