"""The connector catalog and the demo account every start and reset begins with."""

from __future__ import annotations

from extract_assets.emulator.extractto.resources import Account, ConnectorType
from extract_assets.emulator.extractto.state import Demo, ExtracttoState

CONNECTORS: tuple[tuple[str, str, ConnectorType, tuple[str, ...]], ...] = (
    ("google_ads", "Google Ads", "source", ("campaigns", "ad_groups", "ads", "keywords")),
    ("facebook_ads", "Facebook Ads", "source", ("campaigns", "ad_sets", "ads", "insights")),
    ("hubspot", "HubSpot", "source", ("contacts", "companies", "deals")),
    ("bigquery", "BigQuery", "destination", ()),
    ("snowflake", "Snowflake", "destination", ()),
    ("postgres", "PostgreSQL", "destination", ()),
)
DEMO_EXTRACT_TITLE = "Google Ads campaigns daily"
DEMO_ACCOUNT = Account("123-456-7890", "Acme Ads (123-456-7890)")


def seed_demo(state: ExtracttoState) -> Demo:
    """The catalog, and the demo connections and extract, always created in the same order so
    their ids are the same after every reset."""
    for service, name, kind, streams in CONNECTORS:
        state.add_connector(service, name, kind, streams)
    google_ads = state.add_source(
        "Google Ads", state.connector_of_service("google_ads"), {}, [DEMO_ACCOUNT]
    )
    hubspot = state.add_source(
        "HubSpot", state.connector_of_service("hubspot"), {}, [Account("4242424", "Acme CRM")]
    )
    warehouse = state.add_destination(
        "Warehouse",
        state.connector_of_service("bigquery"),
        {"project": "acme-analytics", "dataset": "extract_to"},
    )
    ads_connection = state.add_connection(
        "Google Ads → Warehouse",
        google_ads,
        warehouse,
        schedule="daily",
        cron=None,
        backfill_days=30,
        streams=["campaigns", "ad_groups"],
    )
    hubspot_connection = state.add_connection(
        "HubSpot → Warehouse",
        hubspot,
        warehouse,
        schedule="hourly",
        cron=None,
        backfill_days=7,
        streams=["contacts", "deals"],
    )
    extract = state.add_extract(
        title=DEMO_EXTRACT_TITLE,
        data_table_title=DEMO_EXTRACT_TITLE,
        connection=ads_connection,
        accounts=(DEMO_ACCOUNT,),
        template_id=state.new_id(),
    )
    return Demo(
        google_ads_connection_id=ads_connection.id,
        hubspot_connection_id=hubspot_connection.id,
        extract_id=extract.id,
        data_table_id=extract.data_table_id,
        account_id=DEMO_ACCOUNT.id,
        account_name=DEMO_ACCOUNT.name,
    )
