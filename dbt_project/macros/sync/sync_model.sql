{#- The sync models, built from the one declaration of each sync (reverse_etl/syncs.yml, given
    to dbt by the generated `sync_declarations` macro): a sync model is its plan's rows that
    passed every check, with the content hash of the declared payload, minus what the ledger
    shows pushed. A field a field map names (reverse_etl/field_maps.yml) is computed by it in
    place of the plan's own value, before the hash and the M3 length tests read it. -#}

{#- One sync's declaration by its name in syncs.yml. -#}
{% macro sync_declaration(sync_name) -%}
    {%- set declarations = sync_declarations() -%}
    {%- if sync_name not in declarations -%}
        {{ exceptions.raise_compiler_error(
            "no sync `" ~ sync_name ~ "` in reverse_etl/syncs.yml (declared: "
            ~ declarations.keys() | join(', ') ~ "); after editing syncs.yml run "
            ~ "`python -m reverse_etl.definitions`"
        ) }}
    {%- endif -%}
    {{ return(declarations[sync_name]) }}
{%- endmacro %}

{#- Whether every system the sync reads is connected. -#}
{% macro sync_runs_here(sync) -%}
    {%- set systems = var('ledgerlink_systems') -%}
    {{ return(sync.requires | reject('in', systems) | list | length == 0) }}
{%- endmacro %}

{#- The plan model of a sync: `sync_infor__customers` is planned by `plan_infor__customers`. -#}
{% macro sync_plan_name(sync) -%}
    {{ return('plan_' ~ sync.model[('sync_' | length):]) }}
{%- endmacro %}

{#- A payload column as SQL: M3 field codes that are SQL keywords (DESC) are quoted. -#}
{% macro sync_column(column) -%}
    {{ return(adapter.quote(column) if column | upper in ['DESC'] else column) }}
{%- endmacro %}

{#- The declared payload columns, in the order the content hash reads them. -#}
{% macro sync_payload_columns(sync) -%}
    {%- set columns = [] -%}
    {%- for column in sync.columns -%}
        {%- do columns.append(sync_column(column)) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- A whole sync model: the leading columns (key, target, entity, natural key, operation,
    depends_on, content hash), the declared payload, then `extra_columns` (source ids, what the
    target holds now, what the writer reads besides the payload). -#}
{% macro sync_model(sync_name, extra_columns=[]) -%}
{%- set sync = sync_declaration(sync_name) -%}
{%- set payload = sync_payload_columns(sync) -%}
{%- set overrides = sync_field_overrides(sync_name, sync) -%}
{%- do config(enabled=sync_runs_here(sync)) -%}
with

planned as (
{% if overrides %}
    -- field maps (reverse_etl/field_maps.yml) in place of the plan's own columns
    select * replace (
        {%- for override in overrides %}
        {{ override.sql }} as {{ adapter.quote(override.field) }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
    from {{ ref(sync_plan_name(sync)) }} as plan_row
    where reason_code is null
{% else %}
    select * from {{ ref(sync_plan_name(sync)) }}
    where reason_code is null
{% endif %}
),

hashed as (

    select
        planned.*,
        {{ sync_content_hash(payload) }} as content_hash

    from planned

),

pending as (

    select * from hashed
    where not {{ sync_is_applied('hashed') }}

),

final as (

    select
        {{ sync_key('target', 'entity', 'natural_key', 'content_hash') }} as sync_key,
        target,
        entity,
        natural_key,
        operation,
        depends_on,
        content_hash,

        -- payload ({{ sync.target }} {{ sync.object }})
        {%- for column in payload %}
        {{ column }},
        {%- endfor %}

        -- source ids and context
        {%- for column in extra_columns %}
        {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}

    from pending

)

select * from final
{%- endmacro %}

{#- The field maps of a sync (reverse_etl/field_maps.yml, given to dbt by the generated
    `sync_field_maps` macro; the variable `ledgerlink_field_maps`, in the same shape, stands in
    for it to try a map without saving it): each its SQL over the plan's row, with a lookup's
    seed as a ref. The plan columns it reads were checked when it was saved (the plans are
    ephemeral: dbt has no table to check them against); one that has gone since fails the
    build on DuckDB's own "no column" error, naming it. -#}
{% macro sync_field_overrides(sync_name, sync) -%}
    {%- set declared = var('ledgerlink_field_maps', none) -%}
    {%- set declared = sync_field_maps() if declared is none else declared -%}
    {%- set overrides = [] -%}
    {%- for override in declared.get(sync_name, []) -%}
        {%- if override.field not in sync.columns or override.field in sync.records -%}
            {{ exceptions.raise_compiler_error(
                "reverse_etl/field_maps.yml: sync " ~ sync_name ~ ", field " ~ override.field
                ~ ": not a payload column of the sync; choose one of "
                ~ sync.columns | join(', ') ~ ", then run `python -m reverse_etl.field_maps`"
            ) }}
        {%- endif -%}
        {%- set sql = override.sql -%}
        {%- if override.seed -%}
            {%- set sql = sql | replace('@seed@', ref(override.seed) | string) -%}
        {%- endif -%}
        {%- do overrides.append({'field': override.field, 'sql': sql}) -%}
    {%- endfor -%}
    {{ return(overrides) }}
{%- endmacro %}

{#- The fields of each M3 record in a JSON column of a sync (`lines`). -#}
{% macro sync_record_fields(sync_name, column) -%}
    {{ return(sync_declaration(sync_name).records[column].fields) }}
{%- endmacro %}
