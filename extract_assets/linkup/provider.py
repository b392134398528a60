"""Linkup as the shared modules see it."""

from extract_assets.linkup.contract import API_KEY_ENV, BASE_URL_ENV
from extract_assets.linkup.definitions import linkup_definitions
from extract_assets.linkup.section import LinkupSection
from extract_assets.provider import Provider

PROVIDER = Provider(
    name="linkup",
    section=LinkupSection,
    definitions=linkup_definitions,
    pool_limit=8,
    key_env=API_KEY_ENV,
    base_url_env=BASE_URL_ENV,
    demo_key="demo-linkup-key",
)
