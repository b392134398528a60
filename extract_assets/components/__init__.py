"""What the providers' `dg` components share; each provider's component lives in its package
(`extract_assets.<provider>.component`) and is exported by `extract_assets`."""
