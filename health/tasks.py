from celery import shared_task

from .services import heartbeat_record


@shared_task(bind=True)
def heartbeat(self):
    """Beat-scheduled every minute; /healthz reports how long ago a worker ran it."""
    hostname = self.request.hostname or "eager"
    heartbeat_record(hostname=hostname)
    return hostname
