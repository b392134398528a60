"""Extract.to as the shared modules see it."""

from extract_assets.extractto.contract import API_KEY_ENV, BASE_URL_ENV
from extract_assets.extractto.definitions import extractto_definitions
from extract_assets.extractto.section import ExtractToSection
from extract_assets.provider import Provider

PROVIDER = Provider(
    name="extractto",
    section=ExtractToSection,
    definitions=extractto_definitions,
    pool_limit=2,
    key_env=API_KEY_ENV,
    base_url_env=BASE_URL_ENV,
    demo_key="demo-extractto-key",
)
