"""RFC 7807 errors: every `/v1` failure is `application/problem+json`, never a bare 500."""

import json
from http import HTTPStatus


class Problem(Exception):
    """A request the API answers with an error status, and why."""

    def __init__(self, status: int, detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}

    def body(self) -> str:
        problem: dict = {
            "type": "about:blank",
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
        }
        if self.detail:
            problem["detail"] = self.detail
        return json.dumps(problem) + "\n"


def bad_request(detail: str) -> Problem:
    return Problem(400, detail)
