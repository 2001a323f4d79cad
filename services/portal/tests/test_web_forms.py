"""The form helpers every page shares: the photo field and a refusal shown on the form."""

from __future__ import annotations

import io

import pytest
from starlette.datastructures import FormData, Headers, UploadFile

from grassroots.portal.adapters.platform import ServiceDown, ServiceProblem
from grassroots.portal.entrypoints.web.forms import Refused, attempt, read_photo

LIMIT = 1024 * 1024


def _form(content: bytes, kind: str, filename: str = "p.jpg") -> FormData:
    upload = UploadFile(
        io.BytesIO(content), filename=filename, headers=Headers({"content-type": kind})
    )
    return FormData([("photo", upload)])


async def test_a_photo_is_read_with_its_type() -> None:
    bad: list[str] = []
    photo = await read_photo(_form(b"\xff\xd8jpeg", "image/jpeg"), LIMIT, bad)
    assert photo is not None and photo.content == b"\xff\xd8jpeg" and bad == []
    assert photo.as_file() == {"file": ("p.jpg", b"\xff\xd8jpeg", "image/jpeg")}


async def test_no_photo_or_an_empty_one_is_none() -> None:
    bad: list[str] = []
    assert await read_photo(FormData([]), LIMIT, bad) is None
    assert await read_photo(_form(b"", "image/png"), LIMIT, bad) is None
    assert bad == []


async def test_a_file_that_is_not_a_picture_marks_the_field_with_the_others() -> None:
    bad = ["description"]
    assert await read_photo(_form(b"%PDF", "application/pdf"), LIMIT, bad) is None
    assert bad == ["description", "photo"]


async def test_a_photo_over_the_limit_is_refused_at_once_with_413() -> None:
    with pytest.raises(Refused) as refused:
        await read_photo(_form(b"x" * (LIMIT + 1), "image/jpeg"), LIMIT, [])
    assert refused.value.form() == {
        "error": "照片太大（不超过 1 MB），请换一张。",
        "bad": ["photo"],
        "status_code": 413,
    }


async def _raise(exc: Exception) -> None:
    raise exc


async def test_a_services_refusal_names_the_fields_by_their_last_part() -> None:
    problem = ServiceProblem(
        "requests", 422, "Unprocessable", "", [{"field": "problems.0.service_code"}]
    )
    with pytest.raises(Refused) as refused:
        await attempt(_raise(problem))
    assert refused.value.bad == ["service_code"] and refused.value.status_code == 422
    assert refused.value.error == "以下项目填写有误：服务事项。"


async def test_a_service_failure_is_a_502_and_an_absent_one_a_503() -> None:
    with pytest.raises(Refused) as failed:
        await attempt(_raise(ServiceProblem("requests", 500, "Internal Server Error")))
    assert failed.value.status_code == 502
    with pytest.raises(Refused) as absent:
        await attempt(_raise(ServiceDown("requests", "timeout")))
    assert absent.value.status_code == 503 and "稍后" in absent.value.error
    assert await attempt(_answer()) == {"ok": True}


async def _answer() -> dict[str, bool]:
    return {"ok": True}
