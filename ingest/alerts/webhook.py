"""Messages to an incoming webhook: one when an incident opens, one when it is resolved.

The body is a Slack incoming-webhook message (a text line plus an attachment of fields), which
Slack takes as is and Discord takes at the webhook's `/slack` address. The webhook URL carries
its secret, so nothing here ever prints it: a failed delivery is described without it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ingest.alerts.incidents import Incident

TIMEOUT_S = 5.0
COLOURS = {"WARN": "#e8a317", "ERROR": "#d00000", "RESOLVED": "#2eb67d"}


def message(incident: Incident, resolved: bool = False) -> dict:
    """The webhook body for an incident's opening or its resolution."""
    label = "RESOLVED" if resolved else incident.severity
    verb = "resolved: " if resolved else ""
    fields = [{"title": "incident", "value": incident.id, "short": False}]
    fields += [{"title": name, "value": value, "short": True} for name, value in incident.fields.items()]
    if incident.opened_at:
        fields.append({"title": "opened at", "value": incident.opened_at, "short": True})
    return {
        "text": f"[{label}] naap-warehouse {verb}{incident.summary}",
        "attachments": [{"color": COLOURS[label], "fields": fields}],
    }


def post(url: str, body: dict, timeout_s: float | None = None) -> str | None:
    """POST `body` as JSON; None once the webhook accepted it (2xx), else why not (never the URL)."""
    timeout_s = timeout_s or TIMEOUT_S
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            response.read()
        return None
    except urllib.error.HTTPError as error:
        return f"the webhook answered HTTP {error.code}"
    except TimeoutError:
        return f"the webhook did not answer within {timeout_s:g} s"
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            return f"the webhook did not answer within {timeout_s:g} s"
        return f"the webhook is unreachable ({type(reason).__name__})"
    except (OSError, ValueError) as error:
        return f"the webhook could not be called ({type(error).__name__})"
