"""The front page's blueprint: /healthz, for load balancers and monitors."""

from __future__ import annotations

from smtp_capture import free_port

from matchmaker import create_app


def test_healthz_without_a_queue_reports_jobs_in_process(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "queue": "in-process"}


def test_healthz_reports_a_running_queue_and_its_workers(app, client, redis_url):
    app.config["REDIS_URL"] = redis_url
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "workers": 0,
        "waiting": 0,
    }


def test_healthz_is_503_when_the_queue_is_unreachable(app, client):
    secret_url = f"redis://:s3cret-password@127.0.0.1:{free_port()}/0"
    app.config["REDIS_URL"] = secret_url
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "ok",
        "queue": "unavailable",
    }
    assert "s3cret" not in response.get_data(as_text=True)


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "REDIS_URL": "",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "database": "unavailable",
        "queue": "in-process",
    }
    with app.app_context():
        from matchmaker.extensions import db

        db.engine.dispose()
