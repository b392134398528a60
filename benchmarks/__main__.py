"""`make bench`: every benchmark script, each printing its table against its named baseline."""

from benchmarks import dataextractor_sync, extractto_backfill, ndjson_to_parquet


def main() -> int:
    failed = ndjson_to_parquet.main(
        ["--rows", "1000000", "--rows", "4000000", "--skip", "pandas@4000000"]
    )
    failed = failed or extractto_backfill.main(["--days", "365"])
    return failed or dataextractor_sync.main(["--datasets", "5000", "--speed", "10"])


if __name__ == "__main__":
    raise SystemExit(main())
