"""Each provider as the security suite drives it: a recognisable fake key, the resource a user
configures, a materialization of its assets, a task that fails, and its polling sensor."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import dagster as dg

from extract_assets.dataextractor.assets import build_dataextractor_assets
from extract_assets.dataextractor.resource import DataExtractorResource
from extract_assets.dataextractor.sensors import build_dataextractor_polling_sensor
from extract_assets.dataextractor.spec import DataExtractorDatasetsSpec, DataExtractorSubmissionSpec
from extract_assets.emulator import EmulatorServer
from extract_assets.extractto.assets import build_extractto_assets
from extract_assets.extractto.resource import ExtractToResource
from extract_assets.extractto.sensors import build_extractto_sensor
from extract_assets.extractto.spec import ExtractToExtractSpec
from extract_assets.linkup.assets import build_linkup_assets
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import build_linkup_sensor, build_linkup_task_outputs_asset
from extract_assets.linkup.spec import LinkupExtractSpec
from extract_assets.resource import ProviderResource

FAILED_TASK_REASON = "The seed page answered 500 to the agent"

Assets = list[dg.AssetsDefinition]


class ProviderCase(ABC):
    """How the suite runs one provider against the emulator."""

    name: ClassVar[str]
    # Shaped like a real key, with a tail found nowhere else, so a leak, even cut short, shows.
    key: ClassVar[str]
    resource_class: ClassVar[type[ProviderResource]]
    pace: ClassVar[dict[str, Any]]

    def __init__(self, emulator: EmulatorServer, output: Path) -> None:
        self.emulator = emulator
        self.control = emulator.control
        self.output = output

    def __repr__(self) -> str:
        return self.name

    @abstractmethod
    def register_key(self) -> None:
        """Make the key valid at the emulator, with what a good materialization needs."""

    @abstractmethod
    def assets(self) -> Assets:
        """The assets one materialization runs."""

    def partition_key(self) -> str | None:
        return None

    @abstractmethod
    def fail_next_task(self) -> None:
        """Make the provider's next unit of work (task, sync, document) end failed."""

    @abstractmethod
    def sensor(self) -> tuple[dg.SensorDefinition, Assets]:
        """The provider's polling sensor and the assets it targets."""

    def resource(self, **settings: Any) -> ProviderResource:
        """The resource as a user configures it, with few, quick retries so failures end fast."""
        options: dict[str, Any] = {
            "max_attempts": 2,
            "retry_deadline_seconds": 5,
            "read_timeout_seconds": 10,
            "poll_initial_seconds": 0.1,
            "poll_max_seconds": 0.3,
            "poll_timeout_seconds": 60,
            "base_url": self.emulator.base_url(self.name),
        }
        return self.resource_class(api_key=self.key, **options | self.pace | settings)

    def materialize(
        self, resource: ProviderResource, instance: dg.DagsterInstance
    ) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            self.assets(),
            resources={self.name: resource},
            instance=instance,
            partition_key=self.partition_key(),
            raise_on_error=False,
        )


TEAM = LinkupExtractSpec(
    name="team_members",
    q="All engineering team members with their name and role",
    url="https://example.com/team",
    schema={"type": "object", "properties": {"name": {"type": "string"}}},
)


class LinkupCase(ProviderCase):
    name = "linkup"
    key = "lk-LEAKTEST-3e8a1c7f92b64d05a1f9"
    resource_class = LinkupResource
    pace: ClassVar[dict[str, Any]] = {"requests_per_minute": None}

    def register_key(self) -> None:
        self.control.add_linkup_key(key=self.key)

    def assets(self) -> Assets:
        return build_linkup_assets([TEAM], output_dir=str(self.output))

    def fail_next_task(self) -> None:
        self.control.add_linkup_scenario(match="engineering", fail=FAILED_TASK_REASON)

    def sensor(self) -> tuple[dg.SensorDefinition, Assets]:
        outputs = build_linkup_task_outputs_asset()
        return build_linkup_sensor([TEAM], outputs, time_budget_seconds=10), [outputs]


class ExtractToCase(ProviderCase):
    name = "extractto"
    key = "xt-LEAKTEST-8b2d4f6a0c1e3957bd7e"
    resource_class = ExtractToResource
    pace: ClassVar[dict[str, Any]] = {"requests_per_minute": None}

    def register_key(self) -> None:
        self.control.extractto_settings(
            sync_seconds=0.05, run_queued_seconds=0.0, run_running_seconds=0.05
        )
        self.control.add_extractto_key(key=self.key, role="admin", billing=True)

    def spec(self) -> ExtractToExtractSpec:
        extract_id = self.control.extractto_demo()["extract_id"]
        return ExtractToExtractSpec(name="ads", extract_id=extract_id, start_date="2026-01-01")

    def assets(self) -> Assets:
        return build_extractto_assets([self.spec()], output_dir=str(self.output))

    def partition_key(self) -> str:
        return "2026-09-14"

    def fail_next_task(self) -> None:
        extract_id = self.control.extractto_demo()["extract_id"]
        self.control.set_extractto_extract_scenario(extract_id, fail=FAILED_TASK_REASON)

    def sensor(self) -> tuple[dg.SensorDefinition, Assets]:
        spec = self.spec()
        return build_extractto_sensor([spec], time_budget_seconds=10), self.assets()


DAY = "2026-11-10"
DOCS = DataExtractorDatasetsSpec(name="docs", start_date="2026-11-01")


class DataExtractorCase(ProviderCase):
    """The day tables; once a document is set to fail, the submission of that document."""

    name = "dataextractor"
    key = "dx-LEAKTEST-5c7e9a1b3d2f4068ce1a"
    resource_class = DataExtractorResource
    pace: ClassVar[dict[str, Any]] = {"reads_per_minute": 100_000, "writes_per_minute": 100_000}
    account = "acct_security"

    @property
    def inbox(self) -> Path:
        return self.output.parent / "inbox"

    def register_key(self) -> None:
        self.control.add_dataextractor_key(self.key, account=self.account)
        self.control.dataextractor_settings(read_per_minute=100_000, write_per_minute=100_000)
        self.control.seed_dataextractor_datasets(
            12, account=self.account, date_from=DAY, date_to=DAY, failed_share=0.25
        )

    def assets(self) -> Assets:
        if self.inbox.exists():
            submission = DataExtractorSubmissionSpec(name="inbox", folder=self.inbox)
            return build_dataextractor_assets(submissions=[submission], output_dir=str(self.output))
        return build_dataextractor_assets([DOCS], output_dir=str(self.output))

    def partition_key(self) -> str | None:
        return None if self.inbox.exists() else DAY

    def fail_next_task(self) -> None:
        self.control.set_speed(30)
        self.control.add_dataextractor_scenario("invoice", fail=FAILED_TASK_REASON)
        self.inbox.mkdir(parents=True)
        (self.inbox / "invoice-0042.pdf").write_bytes(b"%PDF-1.7\n" + b"1" * 1_000)

    def sensor(self) -> tuple[dg.SensorDefinition, Assets]:
        sensor = build_dataextractor_polling_sensor(DOCS, time_budget_seconds=10)
        return sensor, build_dataextractor_assets([DOCS])


CASES: list[type[ProviderCase]] = [LinkupCase, ExtractToCase, DataExtractorCase]
