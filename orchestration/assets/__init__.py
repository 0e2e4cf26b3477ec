"""Assets: raw tables (dlt), dbt models with their tests as checks, and one push per sync."""
