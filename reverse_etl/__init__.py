"""Reverse ETL: push the diffs dbt computes back to FreshBooks and Infor, idempotently."""
