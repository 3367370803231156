"""The audit trail of the assessment (django-auditlog).

Every save and delete of these models writes a ``LogEntry`` with the changed fields
(before → after); ``AuditlogMiddleware`` records the signed-in user as the actor.
``register()`` runs once, from ``AssessmentConfig.ready()``.
"""

from django.apps import apps

AUDITED_MODELS = (
    "assessment.Inspection",
    "assessment.BonusPoint",
    "assessment.Appeal",
    "assessment.AssessmentScheme",
    "assessment.SchemeItem",
    "assessment.AssessmentMonth",
    "retailers.ClassOverride",
    "reports.TierProposal",
    "reports.ManagerTier",
    "reports.PayScheme",
    "reports.PayRun",
    "jobs.JobRun",  # queued by beat or a user, run again by a user (the job page's button)
)


def audited_models():
    return [apps.get_model(label) for label in AUDITED_MODELS]


def register():
    from auditlog.registry import auditlog

    for model in audited_models():
        if not auditlog.contains(model):
            auditlog.register(model)
