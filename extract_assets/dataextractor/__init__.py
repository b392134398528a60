"""dataextractor.io: day tables of extracted documents, and folders of documents submitted."""

# What `extract_assets` exports from here (name: module), imported on first use.
PUBLIC = {
    "DataExtractorClient": "client",
    "DataExtractorComponent": "component",
    "DataExtractorDatasetsSpec": "spec",
    "DataExtractorResource": "resource",
    "DataExtractorSubmissionSpec": "spec",
    "build_dataextractor_assets": "assets",
    "build_dataextractor_polling_sensor": "sensors",
    "build_dataextractor_webhook_sensor": "sensors",
}
