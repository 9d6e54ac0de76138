"""API v1 answers JSON, and problem+json for errors (never an HTML page)."""

from __future__ import annotations


def test_health_reports_the_database_reachable(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_api_path_is_a_problem_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 404 and body["title"] == "Not Found"


def test_wrong_method_on_the_api_is_a_problem_json_405(client):
    response = client.post("/api/v1/health")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
