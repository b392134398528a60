"""Everything a run or a tick leaves behind, as text, so a secret can be searched for in it."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest


def secret_forms(secret: str) -> list[str]:
    """The ways a key shows up when leaked: whole, as a header value, or cut short (its first or
    last 16 characters, so keys must be longer than that and distinctive at both ends)."""
    return [secret, f"Bearer {secret}", secret[:16], secret[-16:]]


@dataclass
class Evidence:
    """Text gathered from named channels: stdout, stderr, log lines, event log, files on disk."""

    channels: dict[str, list[str]] = field(default_factory=dict)

    def add(self, channel: str, text: str) -> None:
        self.channels.setdefault(channel, []).append(text)

    def add_files(self, channel: str, folder: Path) -> None:
        """Every file under `folder`, byte for byte (SQLite databases, WAL files, compute logs)."""
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            self.add(channel, f"{path}\n" + path.read_bytes().decode("latin-1"))

    def add_output(
        self, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
    ) -> None:
        """What the process wrote to its file descriptors and through Python logging."""
        out, err = capfd.readouterr()
        self.add("stdout", out)
        self.add("stderr", err)
        self.add("python log", "\n".join(_log_line(record) for record in caplog.records))

    def add_run(self, instance: dg.DagsterInstance, run_id: str) -> None:
        """The run's record (config, tags) and every event of its log, metadata included."""
        run = instance.get_run_by_id(run_id)
        assert run is not None, f"no run {run_id} in the instance"
        self.add("run record", dg.serialize_value(run))
        for entry in instance.all_logs(run_id):
            self.add("event log", dg.serialize_value(entry))
            self.add("event log", str(entry))
        self.add_files("instance storage", Path(instance.root_directory))

    def add_error(self, error: BaseException) -> None:
        self.add("raised error", "".join(traceback.format_exception(error)))

    def leaking(self, secret: str) -> list[str]:
        """The channels in which any form of `secret` appears."""
        forms = secret_forms(secret)
        return sorted(
            channel
            for channel, texts in self.channels.items()
            if any(form in text for text in texts for form in forms)
        )


def _log_line(record: logging.LogRecord) -> str:
    # The message, its arguments and any traceback attached: a handler could print any of them.
    parts = [f"{record.name} {record.levelname} {record.getMessage()}", repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    return " ".join(parts)
