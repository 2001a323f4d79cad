"""What every form page does the same way: a photo field, and a refusal shown on the form.

A form that the portal or a service refuses is shown again with what the person typed, a
sentence saying what to fix and the fields marked; `Refused` carries those three, whether
the refusal came from the form's own checks, a service's problem answer or a service that
does not answer.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.datastructures import UploadFile

from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web.deps import WebDeps
from grassroots.portal.entrypoints.web.parts import PHOTO_TYPES, sentence, status_of
from grassroots.portal.entrypoints.web.wording import missing_sentence

T = TypeVar("T")

UNAVAILABLE = "系统暂时无法受理，请稍后再提交；填写的内容仍在下面。"


class Refused(Exception):
    """A form shown again: the sentence, the fields to mark and the page's status."""

    def __init__(self, error: str, bad: list[str] | None = None, status_code: int = 422) -> None:
        super().__init__(error)
        self.error = error
        self.bad = bad or []
        self.status_code = status_code

    @classmethod
    def missing(cls, bad: list[str], labels: dict[str, str] | None = None) -> Refused:
        """Fields left empty or wrong in the form itself."""
        return cls(missing_sentence(bad, labels), bad, 422)

    @classmethod
    def of(cls, problem: ServiceProblem) -> Refused:
        """A service's problem answer, its fields named by their last part (problems.0.x -> x)."""
        bad = [field.split(".")[-1] for field in problem.fields]
        return cls(sentence(problem), bad, status_of(problem))

    def form(self) -> dict[str, Any]:
        """The keyword arguments of a form page: error, bad, status_code."""
        return {"error": self.error, "bad": self.bad, "status_code": self.status_code}


async def attempt(call: Awaitable[T]) -> T:
    """A service call made for a form: a refusal or an absent service becomes `Refused`."""
    try:
        return await call
    except ServiceProblem as problem:
        raise Refused.of(problem) from problem
    except ServiceDown as down:
        raise Refused(UNAVAILABLE, [], 503) from down


@dataclass(frozen=True)
class Photo:
    """A photo sent with a form, read up to one byte past the limit."""

    filename: str
    content: bytes
    content_type: str

    def as_file(self) -> dict[str, tuple[str, bytes, str]]:
        """The `files` argument of the attachment upload."""
        return {"file": (self.filename, self.content, self.content_type)}


async def read_photo(form: Any, limit: int, bad: list[str]) -> Photo | None:
    """The form's `photo`, or None (then "photo" joins `bad` when it is not a picture).

    A photo over `limit` is refused at once (413): nothing else on the form matters then.
    """
    photo = form.get("photo")
    if not isinstance(photo, UploadFile) or not photo.filename:
        return None
    content = await photo.read(limit + 1)
    if not content:
        return None
    if len(content) > limit:
        raise Refused(f"照片太大（不超过 {limit // (1024 * 1024)} MB），请换一张。", ["photo"], 413)
    kind = photo.content_type or "application/octet-stream"
    if kind not in PHOTO_TYPES:
        bad.append("photo")
        return None
    return Photo(photo.filename, content, kind)


async def attached_photo(deps: WebDeps, path: str, photo: Photo, **call: Any) -> bool:
    """Upload the photo to a request just taken in; False when that failed (the request stands)."""
    try:
        await deps.platform.call("requests", "POST", path, files=photo.as_file(), **call)
    except (ServiceProblem, ServiceDown):
        return False
    return True
