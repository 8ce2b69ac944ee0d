"""The checkpoint: what the last runs left behind, and its JSON form.

The top-level fields are the original script's, with its meaning:
``last_completed_check`` is the end of the unbroken run of passed checks
from check 1, so an old reader resumes where we would. ``checks`` holds one
record per check, which is what lets us re-run only what is no longer valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flightcheck.checks import Status

SCHEMA_VERSION = 2


class CheckpointError(ValueError):
    """The checkpoint's content cannot be used; the message says why."""


@dataclass(frozen=True)
class CheckRecord:
    """What the checkpoint keeps of one check's last result."""

    number: int
    id: str
    name: str
    status: Status
    finished_at: datetime
    duration_s: float = 0.0
    pass_count: int = 0
    fail_count: int = 0
    fingerprint: Mapping[str, str] | None = None
    result: str | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "finished_at": self.finished_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            "pass_count": self.pass_count,
            "fail_count": self.fail_count,
            "fingerprint": dict(self.fingerprint)
            if self.fingerprint is not None
            else None,
            "result": self.result,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, number: int, data: object) -> CheckRecord:
        where = f"checks.{number}"
        entry = _expect(data, dict, where)
        status = _expect(entry.get("status"), str, f"{where}.status")
        if status not in Status.__members__:
            raise CheckpointError(f"{where}.status is {status!r}")
        fingerprint = entry.get("fingerprint")
        if fingerprint is not None:
            fingerprint = _expect(fingerprint, dict, f"{where}.fingerprint")
            if not all(isinstance(v, str) for v in fingerprint.values()):
                raise CheckpointError(f"{where}.fingerprint holds a non-string value")
        result = entry.get("result")
        if result is not None:
            _expect(result, str, f"{where}.result")
        return cls(
            number=number,
            id=_expect(entry.get("id"), str, f"{where}.id"),
            name=_expect(entry.get("name"), str, f"{where}.name"),
            status=Status(status),
            finished_at=_parse_time(entry.get("finished_at"), f"{where}.finished_at"),
            duration_s=float(
                _expect_number(entry.get("duration_s", 0.0), f"{where}.duration_s")
            ),
            pass_count=_expect_int(entry.get("pass_count", 0), f"{where}.pass_count"),
            fail_count=_expect_int(entry.get("fail_count", 0), f"{where}.fail_count"),
            fingerprint=fingerprint,
            result=result,
            message=_expect(entry.get("message", ""), str, f"{where}.message"),
        )


@dataclass(frozen=True)
class Checkpoint:
    """The whole saved state: run-level fields plus one record per check."""

    timestamp: datetime
    records: tuple[CheckRecord, ...] = ()
    pass_count: int = 0
    fail_count: int = 0
    log_file: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def find(self, check_id: str, number: int) -> CheckRecord | None:
        """The record of a check, by id; by number for a record without one."""
        for record in self.records:
            if record.id == check_id:
                return record
        for record in self.records:
            if not record.id and record.number == number:
                return record
        return None

    def last_completed(self) -> CheckRecord | None:
        """The last check of the unbroken run of passes from check 1."""
        last = None
        for record in sorted(self.records, key=lambda r: r.number):
            if record.number != (last.number + 1 if last else 1):
                break
            if record.status is not Status.PASS:
                break
            last = record
        return last

    def with_record(self, record: CheckRecord) -> Checkpoint:
        kept = tuple(r for r in self.records if r.number != record.number)
        ordered = tuple(sorted((*kept, record), key=lambda r: r.number))
        return replace(self, records=ordered)

    def to_dict(self) -> dict[str, Any]:
        last = self.last_completed()
        return {
            "timestamp": self.timestamp.isoformat(),
            "last_completed_check": last.number if last else 0,
            "check_name": last.name if last else "",
            "status": last.status.value if last else "NONE",
            "pass_count": self.pass_count,
            "fail_count": self.fail_count,
            "log_file": self.log_file,
            "details": dict(self.details),
            "schema_version": SCHEMA_VERSION,
            "checks": {str(r.number): r.to_dict() for r in self.records},
        }

    @classmethod
    def from_dict(cls, data: object) -> Checkpoint:
        top = _expect(data, dict, "the checkpoint")
        version = top.get("schema_version", 1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise CheckpointError(f"schema_version is {version!r}")
        if version > SCHEMA_VERSION:
            raise CheckpointError(
                f"schema_version {version} is newer than this flightcheck reads "
                f"({SCHEMA_VERSION}); upgrade flightcheck"
            )
        timestamp = _parse_time(top.get("timestamp"), "timestamp")
        if "checks" in top:
            records = _parse_records(top["checks"])
        else:
            records = _legacy_records(top, timestamp)
        return cls(
            timestamp=timestamp,
            records=records,
            pass_count=_expect_int(top.get("pass_count", 0), "pass_count"),
            fail_count=_expect_int(top.get("fail_count", 0), "fail_count"),
            log_file=_expect(top.get("log_file", ""), str, "log_file"),
            details=_expect(top.get("details", {}), dict, "details"),
        )


def _parse_records(raw: object) -> tuple[CheckRecord, ...]:
    checks = _expect(raw, dict, "checks")
    records = []
    for key, entry in checks.items():
        if not key.isdigit() or int(key) < 1:
            raise CheckpointError(f"checks has the key {key!r}, not a check number")
        records.append(CheckRecord.from_dict(int(key), entry))
    return tuple(sorted(records, key=lambda r: r.number))


def _legacy_records(
    top: dict[str, Any], timestamp: datetime
) -> tuple[CheckRecord, ...]:
    """Read the original script's file as "checks 1..last_completed_check passed"."""
    last = _expect_int(top.get("last_completed_check", 0), "last_completed_check")
    name = _expect(top.get("check_name", ""), str, "check_name")
    return tuple(
        CheckRecord(
            number=n,
            id="",
            name=name if n == last else f"Check {n}",
            status=Status.PASS,
            finished_at=timestamp,
        )
        for n in range(1, last + 1)
    )


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        noun = _KIND_NAMES[kind]
        article = "an" if noun[0] in "aeiou" else "a"
        raise CheckpointError(f"{where} should be {article} {noun}")
    return value


_KIND_NAMES = {dict: "object", str: "string", int: "integer", list: "list"}


def _expect_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"{where} should be a whole number, not {value!r}")
    return value


def _expect_number(value: Any, where: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"{where} should be a number of seconds, not {value!r}")
    return float(value)


def _parse_time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise CheckpointError(f"{where} should be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CheckpointError(f"{where} is not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.astimezone()
