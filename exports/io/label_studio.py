"""Connecting to a Label Studio server with label-studio-sdk, and saying clearly why it failed."""
from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from exports.io import InputError

#: The environment variables of the Label Studio connection (the names Label Studio's own tools use).
ENV_URL = "LABEL_STUDIO_URL"
ENV_API_KEY = "LABEL_STUDIO_API_KEY"


def add_options(parser: argparse.ArgumentParser, what: str = "") -> None:
    """``--url`` and ``--api-key`` of a command that talks to Label Studio."""
    parser.add_argument("--url", help=f"Label Studio URL{what} (default: ${ENV_URL}, or label_studio_url in the config file)")
    parser.add_argument("--api-key", help=f"API token of a Label Studio user (default: ${ENV_API_KEY}, or label_studio_api_key in the config file)")


def connection(url: str | None, api_key: str | None, *, defaults: tuple[str | None, str | None] = (None, None),
               env: Mapping[str, str] | None = None, required: bool = True) -> tuple[str, str] | None:
    """The Label Studio URL and key: the flags, else ``defaults`` (a config's), else the environment.

    Raises:
        InputError: one is missing (when ``required``; otherwise None is returned).
    """
    env = os.environ if env is None else env
    url = url or defaults[0] or env.get(ENV_URL)
    api_key = api_key or defaults[1] or env.get(ENV_API_KEY)
    if url and api_key:
        return url, api_key
    if required:
        raise InputError(f"this needs --url and --api-key (or {ENV_URL} and {ENV_API_KEY})")
    return None


def describe_api_error(exc: Exception) -> str:
    """One line for an SDK / HTTP error: status, and the server's message when it sent one."""
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    if status == 401:
        return "the API key was refused (401): use the token of a Label Studio user (Account & Settings)"
    if status is not None:
        return f"HTTP {status}: {body if body else exc}"
    name = type(exc).__name__
    if "Connect" in name or "ConnectError" in repr(exc):
        return f"cannot connect to Label Studio ({exc}); is the server running at that URL?"
    return f"{name}: {exc}"


def plain(obj: Any) -> dict:
    """An SDK object (a pydantic model) or a dict as a plain dict (what the readers of tasks take)."""
    if isinstance(obj, dict):
        return obj
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    return dict(obj)


def unreachable(exc: Exception) -> bool:
    """Whether an SDK / HTTP error means Label Studio stopped answering (not: refused one request)."""
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    return bool(names & {"ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError", "ReadError", "ConnectionError"}) \
        or getattr(exc, "status_code", None) in (502, 503, 504)


def connect(url: str, api_key: str, timeout: float = 120) -> Any:
    """A ``label_studio_sdk.LabelStudio`` client whose URL and key were checked.

    Raises:
        InputError: the server does not answer, or refuses the key.
    """
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=url.rstrip("/"), api_key=api_key, timeout=timeout)
    try:
        client.users.whoami()
    except Exception as exc:
        raise InputError(f"Label Studio at {url}: {describe_api_error(exc)}") from None
    return client


def export_tasks(client: Any, project: int) -> list[Any]:
    """A project's tasks with their annotations (Label Studio's JSON export)."""
    import json

    return json.loads(b"".join(client.projects.exports.download_sync(id=project, export_type="JSON", download_all_tasks=True)))


def every(list_method: Any, page_size: int = 100, **params: Any) -> list[Any]:
    """All items of a paginated label-studio-sdk ``list`` (``client.tasks.list``, ``client.projects.list``).

    The SDK's own pager asks for the page after the last one, which Label Studio answers with a
    404 "Invalid page" and a traceback in its log; here the pages are counted from the total the
    first page reports, so no request goes past the end.
    """
    items: list[Any] = []
    page = 1
    while True:
        pager = list_method(page=page, page_size=page_size, **params)
        batch = list(pager.items or [])
        items.extend(batch)
        response = getattr(pager, "response", None)
        total = getattr(response, "total", None)
        if total is None:
            total = getattr(response, "count", None)
        if not batch or total is None or len(items) >= total or len(batch) < page_size:
            return items
        page += 1
