"""What a provider sends back is data, not a path: an id shaped like a path never reaches the
file system, even from a compromised or spoofed API."""

from pathlib import Path

import dagster as dg
import pytest

from extract_assets.emulator import EmulatorServer

from .providers import LinkupCase
from .servers import Seen, proxy_app, serving

ESCAPE = "../../../escaped"


def test_a_linkup_task_id_shaped_like_a_path_is_refused_before_it_names_a_folder(
    emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    case = LinkupCase(emulator, tmp_path / "output")
    case.register_key()
    with case.resource().get_client() as client:
        task = client.wait(client.create("rows made outside", "https://example.com/outside").id)
    sensor, assets = case.sensor()
    rewrite = (f'"id":"{task.id}"', f'"id":"{ESCAPE}"')
    with serving(proxy_app(Seen(), emulator.url, rewrite=rewrite)) as api:
        resource = case.resource(base_url=f"{api}/linkup")
        defs = dg.Definitions(assets=assets, sensors=[sensor], resources={"linkup": resource})
        with (
            dg.instance_for_test() as instance,
            dg.build_sensor_context(
                instance_ref=instance.get_ref(), definitions=defs, resources={"linkup": resource}
            ) as context,
        ):
            result = sensor.evaluate_tick(context)
    # The task is refused as unreadable and passed over; the tick goes on and asks for nothing.
    assert not result.run_requests and not result.dynamic_partitions_requests
    assert f"Linkup task {ESCAPE} cannot be read" in caplog.text
    assert not (tmp_path / "escaped").exists()
    assert [p for p in tmp_path.rglob("*") if "escaped" in p.name] == []
