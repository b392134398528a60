"""One account of a provider: the names its assets, resource, pool, sensors and files take.

A code location may hold several accounts of one provider (two Linkup organizations, two
Extract.to users), each with its own key. The account's name keeps them apart: its assets'
keys start with it, its resource key and pool end with it, its sensors, jobs and dynamic
partitions start with it, and its files live in a folder of its own. Without a name, every
name is the provider's own, as with one account.

>>> Account("linkup", "research").resource_key, Account("linkup").resource_key
('linkup_research', 'linkup')
>>> Account("linkup", "research").key("team").to_user_string()
'research/team'
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg

__all__ = ["Account"]


@dataclass(frozen=True)
class Account:
    """A provider (`linkup`, `extractto`, `dataextractor`) and, with several, the account's name."""

    provider: str
    name: str | None = None

    @property
    def resource_key(self) -> str:
        """The key of the account's resource; also the name of its concurrency pool."""
        return self.provider if self.name is None else f"{self.provider}_{self.name}"

    @property
    def pool(self) -> str:
        return self.resource_key

    @property
    def folder(self) -> str:
        """Where under the output the account's tables live: `linkup`, or `linkup/research`."""
        return self.provider if self.name is None else f"{self.provider}/{self.name}"

    def key(self, name: str) -> dg.AssetKey:
        """The key of the account's asset `name`."""
        return dg.AssetKey(name) if self.name is None else dg.AssetKey([self.name, name])

    def named(self, name: str) -> str:
        """A sensor's, job's or partition set's name, unique per account."""
        return name if self.name is None else f"{self.name}_{name}"
