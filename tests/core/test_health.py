"""The health endpoints a load balancer polls."""

import datetime as dt

from django.test import Client
from django.utils import timezone

from firstline.core.models import WorkerHeartbeat


def test_healthz_answers_without_database_or_login(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_not_ready_until_a_worker_was_seen(client: Client, db: None) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "worker": "never seen",
    }


def test_readyz_is_ready_with_a_recent_worker(client: Client, db: None) -> None:
    WorkerHeartbeat.objects.create(worker_id="w1", seen_at=timezone.now())
    assert client.get("/readyz").status_code == 200


def test_readyz_reports_a_stale_worker(client: Client, db: None) -> None:
    WorkerHeartbeat.objects.create(worker_id="w1", seen_at=timezone.now() - dt.timedelta(hours=1))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"].startswith("last seen")
