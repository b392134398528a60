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
    emulator: EmulatorServer, tmp_path: Path
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
            pytest.raises(Exception, match="id") as refused,
        ):
            sensor.evaluate_tick(context)
    assert ESCAPE in str(refused.value)
