"""`make bench`: every benchmark script, each printing its table against its named baseline."""

from benchmarks import ndjson_to_parquet


def main() -> int:
    return ndjson_to_parquet.main(
        ["--rows", "1000000", "--rows", "4000000", "--skip", "pandas@4000000"]
    )


if __name__ == "__main__":
    raise SystemExit(main())
