"""Linkup end to end, as a user runs it, against the emulator's real-world profile.

Three extracts declared in a YAML file (a schema with nested objects, lists, integers and
timestamps; a schema of numbers, some sent beyond float64; no schema at all) go through one
journey on a persistent instance: materialized together, one of them again (a new task that
replaces the table), tasks created outside Dagster with other shapes (no schema, a price as
text, then as a number the next day on the emulator's clock), one failing and one still
processing across a tick, the tasks sensor ticking between them and its runs materialized into
`linkup_task_outputs`, and a downstream asset reading two tables through the IO manager. The
tests judge what a user reads against the result files Linkup served, row by row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import extract_assets as ea
from extract_assets.emulator import EmulatorServer
from extract_assets.linkup.resource import LinkupResource
from extract_assets.linkup.sensors import TASKS_PARTITIONS, build_linkup_task_outputs_asset
from extract_assets_tests.journey import evaluate_tick
from extract_assets_tests.readers import Row, normalise
from extract_assets_tests.stored_values import (
    Beyond,
    assert_files_have_the_table_schema,
    loads_exact,
    problems_in_row,
    read_table,
)

from .conftest import SECRET_KEY

SEED = 6
EXTRACTS = ("team_members", "priced", "people")
OUTPUTS = "linkup_task_outputs"
CONFIG = """\
linkup:
  sensor: {running: true}
  extracts:
    - name: team_members
      q: All engineering team members with their name, role, and profile page
      url: https://example.com/team
      schema:
        type: object
        properties:
          name: {type: string}
          profileUrl: {type: string, format: uri}
          age: {type: integer}
          joined: {type: string, format: date-time}
          skills: {type: array, items: {type: string}}
          address: {type: object, properties: {city: {type: string}, zip: {type: string}}}
        required: [name, profileUrl]
    - name: priced
      q: every priced item
      url: https://example.com/shop
      schema:
        type: object
        properties:
          name: {type: string}
          price: {type: number}
          in_stock: {type: boolean}
        required: [name, price]
    - name: people
      q: every person on the page
      url: https://example.com/people
"""
URL = "https://example.com/outside"
PRICE_AS_TEXT = {"type": "object", "properties": {"name": {"type": "string"}, "price": {}}}
PRICE_AS_NUMBER = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "price": {"type": "number"}},
}


@dataclass
class Journey:
    output: Path
    ticks: list[list[str]] = field(default_factory=list)
    tasks: dict[str, str] = field(default_factory=dict)
    served: dict[str, list[Any]] = field(default_factory=dict)
    billed: dict[str, float] = field(default_factory=dict)
    materialized: list[tuple[str, str | None, dict[str, Any]]] = field(default_factory=list)
    checks: dict[tuple[str, str], list[dg.AssetCheckEvaluation]] = field(default_factory=dict)
    downstream: dict[str, Any] = field(default_factory=dict)


class Pipeline:
    """The YAML file's definitions, run as the daemon and a user run them."""

    def __init__(self, emulator: EmulatorServer, defs: dg.Definitions, journey: Journey) -> None:
        self.url = emulator.base_url("linkup")
        self.resource = LinkupResource(
            api_key=SECRET_KEY,
            base_url=self.url,
            poll_initial_seconds=0.1,
            poll_max_seconds=0.3,
            retry_deadline_seconds=30,
            requests_per_minute=None,
        )
        self.assets = [a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)]
        self.sensor = next(s for s in defs.sensors or [] if s.name == "linkup_tasks_sensor")
        self.journey = journey
        self.cursor: str | None = None
        self.instance: dg.DagsterInstance

    def tick(self) -> list[str]:
        result = evaluate_tick(
            self.sensor, self.instance, self.cursor, self.assets, {"linkup": self.resource}
        )
        self.cursor = result.cursor
        # What the daemon does with a tick's result before it launches the runs.
        for request in result.dynamic_partitions_requests or []:
            self.instance.add_dynamic_partitions(
                str(request.partitions_def_name), list(request.partition_keys or [])
            )
        requested = [str(r.partition_key) for r in result.run_requests or []]
        self.journey.ticks.append(requested)
        return requested

    def materialize(
        self,
        names: list[str],
        partition: str | None = None,
        extra: list[dg.AssetsDefinition] | None = None,
    ) -> None:
        result = dg.materialize(
            [*self.assets, *(extra or [])],
            selection=names,
            instance=self.instance,
            resources={"linkup": self.resource},
            partition_key=partition,
        )
        assert result.success
        for event in result.get_asset_materialization_events():
            materialization = event.materialization
            name = materialization.asset_key.to_user_string()
            metadata = dict(materialization.metadata)
            task = str(metadata["linkup/task_id"].value) if name in EXTRACTS else partition
            if task is not None:
                self.journey.tasks[name] = task
                self.journey.served[task] = served_rows(self.url, task)
                self.journey.billed[task] = task_as_served(self.url, task)["output"]["creditsUsed"]
            self.journey.materialized.append((name, partition, metadata))
        for evaluation in result.get_asset_check_evaluations():
            key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
            self.journey.checks.setdefault(key, []).append(evaluation)

    def outside_task(self, q: str, schema: dict[str, Any] | None = None) -> str:
        """A task created with the plain client, as a script outside Dagster would."""
        with self.resource.get_client() as client:
            return client.create(q, URL, schema=schema).id


def task_as_served(url: str, task_id: str) -> dict[str, Any]:
    """The task as `GET /v1/extract/{id}` answers, read without our client."""
    headers = {"Authorization": f"Bearer {SECRET_KEY}"}
    task: dict[str, Any] = (
        httpx.get(f"{url}/v1/extract/{task_id}", headers=headers).raise_for_status().json()
    )
    return task


def served_rows(url: str, task_id: str) -> list[Any]:
    """The rows of the task's result file, as Linkup served them (a number beyond float64 as
    `Beyond`)."""
    task = task_as_served(url, task_id)
    body = httpx.get(task["output"]["resultUrl"]).raise_for_status().content
    return [loads_exact(line) for line in body.splitlines() if line.strip()]


def summary(seen: dict[str, Any]) -> dg.AssetsDefinition:
    """A user's asset reading the team (pandas) and every outside task's rows (pyarrow)."""

    @dg.asset(ins={"team": dg.AssetIn("team_members"), "outputs": dg.AssetIn(OUTPUTS)})
    def team_and_outputs(team: pd.DataFrame, outputs: pa.Table) -> None:
        seen["team"] = team
        seen["outputs"] = outputs

    return team_and_outputs


@pytest.fixture(scope="module")
def journey(
    emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Journey]:
    control = emulator.control
    control.reset()
    control.set_profile("real-world", seed=SEED)
    control.add_linkup_key(key=SECRET_KEY)
    control.linkup_settings(pending_seconds=0.1, processing_seconds=0.2)
    control.add_linkup_scenario("priced", rows=300)
    control.add_linkup_scenario("broken", fail="the page would not load")
    control.add_linkup_scenario("slow", processing_seconds=600)
    folder = tmp_path_factory.mktemp("linkup-journey")
    config = folder / "extract-assets.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    journey = Journey(folder / "data")
    with pytest.MonkeyPatch.context() as env, dg.instance_for_test() as instance:
        env.setenv("LINKUP_API_KEY", SECRET_KEY)
        env.setenv("LINKUP_BASE_URL", emulator.base_url("linkup"))
        env.setenv("EXTRACT_ASSETS_OUTPUT", str(journey.output))
        pipeline = Pipeline(emulator, ea.definitions_from_config(config), journey)
        pipeline.instance = instance
        pipeline.tick()  # nothing outside Dagster yet
        pipeline.materialize(list(EXTRACTS))  # three tasks, one run
        pipeline.materialize(["team_members"])  # a new task replaces the table
        pipeline.tick()  # our own tasks: nothing to request
        pipeline.outside_task("outside people")
        pipeline.outside_task("outside priced things as text", PRICE_AS_TEXT)
        pipeline.outside_task("a broken page")
        pipeline.outside_task("a slow page")
        control.advance_clock(5)
        for task in pipeline.tick():
            pipeline.materialize([OUTPUTS], task)
        pipeline.tick()
        control.advance_clock(86_400)  # the service's next day: the slow task is done
        pipeline.outside_task("outside priced things as numbers", PRICE_AS_NUMBER)
        control.advance_clock(5)
        for task in pipeline.tick():
            pipeline.materialize([OUTPUTS], task)
        pipeline.tick()
        pipeline.materialize(["team_and_outputs"], extra=[summary(journey.downstream)])
        yield journey


def rows_in_order(path: Path) -> list[Row]:
    """A file's rows in the order they were written, each value as plain Python."""
    table = pq.read_table(path)
    types = {f.name: f.type for f in table.schema}
    return [{k: normalise(v, types[k]) for k, v in row.items()} for row in table.to_pylist()]


def test_the_sensor_requests_each_finished_outside_task_once(journey: Journey) -> None:
    outside = [len(tick) for tick in journey.ticks]
    # The people and the text prices, then the slow one and the number prices; not the broken.
    assert outside == [0, 0, 2, 0, 2, 0]


@pytest.mark.parametrize("name", EXTRACTS)
def test_an_extract_holds_every_row_of_its_latest_task_unchanged(
    journey: Journey, name: str
) -> None:
    served = journey.served[journey.tasks[name]]
    stored = rows_in_order(journey.output / "linkup" / name / "part-0.parquet")
    assert len(stored) == len(served)
    problems = {
        n: found
        for n, (sent, row) in enumerate(zip(served, stored, strict=True))
        if (found := problems_in_row(sent, row, frozenset()))
    }
    assert problems == {}


def test_every_outside_task_s_rows_land_unchanged_in_its_partition(journey: Journey) -> None:
    folder = journey.output / "linkup" / OUTPUTS
    tasks = [path.parent.name.removeprefix("task_id=") for path in folder.glob("*/*.parquet")]
    assert len(tasks) == 4
    problems: dict[str, dict[int, list[str]]] = {}
    for task in tasks:
        stored = rows_in_order(folder / f"task_id={task}" / "part-0.parquet")
        served = journey.served[task]
        assert len(stored) == len(served), task
        found = {
            n: p
            for n, (sent, row) in enumerate(zip(served, stored, strict=True))
            if (p := problems_in_row(sent, row, frozenset()))
        }
        if found:
            problems[task] = found
    assert problems == {}


@pytest.mark.parametrize("name", [*EXTRACTS, OUTPUTS])
def test_every_reader_reads_every_row_and_every_file_has_the_table_schema(
    journey: Journey, name: str
) -> None:
    folder = journey.output / "linkup" / name
    rows = read_table(folder, "task_id" if name == OUTPUTS else None)
    assert_files_have_the_table_schema(folder)
    if name == OUTPUTS:
        assert Counter(r["task_id"] for r in rows) == {
            task: len(journey.served[task])
            for task in {p for n, p, _ in journey.materialized if n == OUTPUTS and p}
        }
    else:
        assert len(rows) == len(journey.served[journey.tasks[name]])


def test_each_materialization_reports_the_rows_its_task_returned(journey: Journey) -> None:
    reported = [
        (name, metadata["dagster/row_count"].value)
        for name, _, metadata in journey.materialized
        if name in EXTRACTS
    ]
    assert reported == [
        (name, metadata["linkup/rows_returned"].value)
        for name, _, metadata in journey.materialized
        if name in EXTRACTS
    ]


def test_each_extract_reports_the_credits_linkup_billed_for_its_task(journey: Journey) -> None:
    reported = [
        (metadata["linkup/task_id"].value, metadata["linkup/credits_used"].value)
        for name, _, metadata in journey.materialized
        if name in EXTRACTS
    ]
    assert reported == [(task, journey.billed[task]) for task, _ in reported]


def test_the_row_count_checks_pass(journey: Journey) -> None:
    evaluations = journey.checks[("team_members", "row_count_matches_linkup")]
    assert [e.passed for e in evaluations] == [True, True]


def test_the_schema_check_counts_exactly_the_rows_whose_values_left_their_column(
    journey: Journey,
) -> None:
    (team,) = journey.checks[("team_members", "rows_match_schema")][-1:]
    assert team.passed
    (priced,) = journey.checks[("priced", "rows_match_schema")]
    beyond = sum(
        isinstance(row["price"], Beyond) for row in journey.served[journey.tasks["priced"]]
    )
    assert beyond, "the profile sent no price beyond float64"
    assert priced.metadata["invalid_rows"].value == beyond


def test_the_downstream_asset_reads_the_latest_team_and_every_task(journey: Journey) -> None:
    team = journey.downstream["team"]
    outputs = journey.downstream["outputs"]
    assert len(team) == len(journey.served[journey.tasks["team_members"]])
    assert Counter(outputs.column("task_id").to_pylist()) == Counter(
        {
            task: len(journey.served[task])
            for task in {p for n, p, _ in journey.materialized if n == OUTPUTS and p}
        }
    )


def test_a_task_whose_rows_hold_a_task_id_key_leaves_the_table_readable(
    emulator: EmulatorServer,
    fast_resource: LinkupResource,
    tmp_path: Path,
    instance: dg.DagsterInstance,
) -> None:
    emulator.control.set_profile("real-world", seed=SEED)
    emulator.control.linkup_settings(pending_seconds=0.1, processing_seconds=0.1)
    emulator.control.add_linkup_scenario("tracker", rows=5)
    schema = {"type": "object", "properties": {"task_id": {"type": "string"}, "title": {}}}
    with fast_resource.get_client() as client:
        task = client.wait(client.create("every task in the tracker", URL, schema=schema).id)
    instance.add_dynamic_partitions(TASKS_PARTITIONS, [task.id])
    outputs = build_linkup_task_outputs_asset(output_dir=str(tmp_path))
    assert dg.materialize(
        [outputs], instance=instance, resources={"linkup": fast_resource}, partition_key=task.id
    ).success
    rows = read_table(tmp_path / "linkup" / OUTPUTS, "task_id")
    assert {row["task_id"] for row in rows} == {task.id}
    assert sorted(str(row.get("task_id__case_2")) for row in rows) == sorted(
        str(row["task_id"]) for row in served_rows(emulator.base_url("linkup"), task.id)
    )
